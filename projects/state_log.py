"""Where django-fsm-log writes the state log (settings.DJANGO_FSM_LOG_STORAGE_METHOD): after
every transition, one StateLog row with who, when, from, to, which transition and why, of which
object. The values are gathered by django-fsm-log's own code, as its SimpleBackend gathers them;
only the row is written by an INSERT compiled once per process (projects.compiled_writes), since
every submission of a deadline burst writes one."""

from functools import cache

from django_fsm_log.backends import SimpleBackend, _pre_transition_callback


@cache
def _insert():
    """The state log's INSERT, compiled on first use (the models are loaded by then)."""
    from django_fsm_log.models import StateLog

    from .compiled_writes import CompiledInsert

    return StateLog, CompiledInsert(StateLog)


class _CompiledManager:
    """What _pre_transition_callback creates the entry through (a manager's create)."""

    @staticmethod
    def create(**values):
        model, insert = _insert()
        return insert.insert(model(**values))


class CompiledBackend(SimpleBackend):
    """SimpleBackend, the entry written by a compiled insert."""

    @staticmethod
    def post_transition_callback(sender, instance, name, source, target, **kwargs):
        return _pre_transition_callback(sender, instance, name, source, target, _CompiledManager, **kwargs)
