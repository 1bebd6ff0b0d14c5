"""Sections the floors above projects add to an application's pages (the applicant's and the
staff's) without projects importing them: each registers, at start-up, a function that renders
its section for an application (empty when it has nothing to show)."""

_APPLICATION_PANELS = []


def register_application_panel(render):
    """``render(application, context)`` returns the section's HTML (safe) or ''."""
    if render not in _APPLICATION_PANELS:
        _APPLICATION_PANELS.append(render)
    return render


def render_application_panels(application, context):
    return [html for render in _APPLICATION_PANELS if (html := render(application, context))]
