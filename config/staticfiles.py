"""Static files storage for production (DEBUG off): WhiteNoise's compressed manifest storage,
tolerant of KRDS's own broken references.

KRDS's stylesheets point at a few images under a path the package does not ship
(``../../img/img/component/icon/ico_angle.svg``: one ``img/`` too many), so the manifest
storage refuses to collect them and ``collectstatic`` fails with DEBUG off. References in
KRDS's files that lead nowhere are left as they are (they already 404 in the browser);
a missing file anywhere else, and any ``{% static %}`` of a missing file, still fails.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage

THIRD_PARTY_PREFIXES = ("krds/",)


class GongmoStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def url_converter(self, name, hashed_files, template=None):
        convert = super().url_converter(name, hashed_files, template)
        if not name.startswith(THIRD_PARTY_PREFIXES):
            return convert

        def convert_or_keep(matchobj):
            try:
                return convert(matchobj)
            except ValueError:  # the referenced file does not exist: keep the reference
                return matchobj.group("matched")

        return convert_or_keep
