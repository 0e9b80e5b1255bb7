from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ContentConfig(AppConfig):
    name = "content"

    def ready(self) -> None:
        from .sites import sync_default_site_with_base_url

        post_migrate.connect(sync_default_site_with_base_url, sender=self, dispatch_uid="content.sync_default_site")
