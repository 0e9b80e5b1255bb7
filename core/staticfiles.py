"""Static files storage for production: hashed names, gzip and brotli copies, served by WhiteNoise."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hash, compress and manifest static files, tolerating only source maps a package does not ship."""

    def url_converter(self, name, hashed_files, template=None):
        """Return Django's URL converter, dropping a source map comment whose map file is missing."""
        convert = super().url_converter(name, hashed_files, template)
        if template is None or "sourceMappingURL" not in template:
            return convert

        def convert_or_drop_missing_map(matchobj):
            # wagtail-nhsuk-frontend ships its minified CSS and JS with a sourceMappingURL comment
            # but not the .map files. A map only serves a developer's debugger, and a dangling
            # reference only makes browsers request a 404, so the comment is dropped. Any other
            # missing file (a url() or @import in CSS, a JS import) still fails collectstatic.
            try:
                return convert(matchobj)
            except ValueError as error:
                if "could not be found" not in str(error):
                    raise
                return ""

        return convert_or_drop_missing_map
