"""The five-level region hierarchy: province → city → county → township → village."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from minzheng.regions.levels import Level
from minzheng.regions.scoping import RegionScopedQuerySet


class Region(models.Model):
    """One administrative division; its code prefix identifies its whole subtree."""

    class Levels(models.TextChoices):
        PROVINCE = Level.PROVINCE.value, _("province")
        CITY = Level.CITY.value, _("city")
        COUNTY = Level.COUNTY.value, _("county")
        TOWNSHIP = Level.TOWNSHIP.value, _("township")
        VILLAGE = Level.VILLAGE.value, _("village")

    class UrbanRural(models.TextChoices):
        URBAN = "urban", _("urban")
        RURAL = "rural", _("rural")

    # Primary key and indexed: on PostgreSQL Django adds a varchar_pattern_ops index, so
    # `code LIKE '330102%'` (a subtree) is an index range scan on both databases.
    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=8, choices=Levels.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    urban_rural = models.CharField(
        _("urban or rural"), max_length=5, choices=UrbanRural.choices, blank=True
    )
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    region_lookup = "code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def level_enum(self) -> Level:
        """The level as the framework-free enum."""
        return Level(self.level)

    @property
    def prefix(self) -> str:
        """The leading digits shared by every code in this region's subtree."""
        return self.code[: self.level_enum.prefix_length]

    def contains(self, code: str) -> bool:
        """True when `code` is this region or lies below it."""
        return code.startswith(self.prefix)
