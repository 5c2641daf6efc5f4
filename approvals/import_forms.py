"""The dry-run page's forms for an office's own file: the naming level and category of rows that
give none (for the whole file), and the column each unrecognised heading fills."""

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.layouts import FORM
from registry.models import Account

from .services.imports import MAPPABLE_FIELDS


class ImportOptionsForm(forms.Form):
    naming_level = forms.ChoiceField(
        label=_("Naming level of rows that give none"),
        choices=[("", _("Inferred from each name")), *Account.NamingLevel.choices],
        required=False,
    )
    category = forms.ChoiceField(
        label=_("Category of rows that give none"),
        choices=[("", _("Inferred from the platform")), *Account.Category.choices],
        required=False,
    )

    def __init__(self, *args, unknown, options=None, **kwargs):
        options = options or {}
        kwargs.setdefault(
            "initial",
            {
                "naming_level": options.get("naming_level", ""),
                "category": options.get("category", ""),
            },
        )
        super().__init__(*args, **kwargs)
        self.unknown = unknown
        choices = [("", _("Ignore")), *((f, FORM.label(f)) for f in MAPPABLE_FIELDS)]
        for index, column in enumerate(unknown):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=_("Column “%(heading)s”") % {"heading": column.heading},
                choices=choices,
                required=False,
                initial=options.get("mappings", {}).get(column.key, ""),
            )

    def defaults(self) -> dict[str, str]:
        """The values chosen for the whole file (blank ones left to inference)."""
        return {
            k: self.cleaned_data[k] for k in ("naming_level", "category") if self.cleaned_data[k]
        }

    def mapping(self) -> dict[str, str]:
        """Folded heading → the field chosen for it ("" to ignore)."""
        return {
            column.key: self.cleaned_data[f"column_{index}"]
            for index, column in enumerate(self.unknown)
        }
