"""What differs between the emulated Odoo releases: version answer, wording, endpoints.

Why one table: the connector speaks XML-RPC/JSON-RPC to Odoo 16-18 and JSON-2 to 19+,
and the recordings show the same behaviour worded differently (30, 31 vs 15, 16). Every
release-specific string lives here so the models stay release-neutral.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    """One emulated Odoo release."""

    server_version: str
    server_version_info: tuple[int, int, int, str, int, str]
    server_serie: str
    json2: bool
    precisions: tuple[tuple[int, str, int], ...]
    default_rounding: str
    messages: dict[str, str] = field(default_factory=dict)

    def version(self) -> dict[str, object]:
        """The answer of ``common.version`` and ``/web/version``."""
        return {
            "server_version": self.server_version,
            "server_version_info": list(self.server_version_info),
            "server_serie": self.server_serie,
            "protocol_version": 1,
        }

    def text(self, key: str, **values: object) -> str:
        return self.messages[key].format(**values)


_COMMON_MESSAGES = {
    "unknown_model": "Object {model} doesn't exist",
    "posted_unlink": (
        "You can't delete a posted journal item. Don\u2019t play games with your accounting "
        "records; reset the journal entry to draft before deleting it."
    ),
    "must_be_draft": "The entry {name} (id {id}) must be in draft.",
    "reconciled_write": (
        "You cannot do this modification on a reconciled journal entry. You can just change "
        "some non legal fields or you must unreconcile first.\nJournal Entry (id): {name} ({id})"
    ),
    "nothing_to_pay": (
        "You can't register a payment because there is nothing left to pay on the selected "
        "journal items."
    ),
    "unbalanced": (
        "An error has occurred.\n\nThe move ({move}) is not balanced.\nThe total of debits "
        "equals {debit} and the total of credits equals {credit}.\nYou might want to specify "
        'a default account on journal "{journal}" to automatically balance each move.'
    ),
    "tax_name_unique": "Tax names must be unique!\n- {name} in {company}",
    "xmlid_missing": "External ID not found in the system: {xmlid}",
    "wrong_selection": "Wrong value for {model}.{field}: {value!r}",
    "invalid_leaf": "Invalid field {model}.{field} in leaf {leaf}",
    # Not recorded: wording chosen by the emulator; rely on the fault code only.
    "cancel_not_draft": "Only draft journal entries can be cancelled.",
    "register_not_posted": "You can only register payment for posted journal entries.",
    "register_bad_model": (
        "The register payment wizard should only be called on account.move or "
        "account.move.line records."
    ),
    "posted_lines_write": (
        "You cannot modify a posted entry of this journal. Reset it to draft first."
    ),
    "partner_required": (
        "The field 'Customer' is required, please complete it to validate the Customer Invoice."
    ),
    "negative_invoice": (
        "You cannot validate an invoice with a negative total amount. You should create a "
        "credit note instead. Use the action menu to transform it into a credit note or refund."
    ),
    "rate_unique": "Only one currency rate per day allowed!",
    "contact_name": "The operation cannot be completed: Contacts require a name",
    "reverse_not_posted": "You can only reverse posted moves.",
    "reconcile_mismatch": "Entries are not from the same account: {accounts}",
}

ODOO_17 = Profile(
    server_version="17.0-20240709",
    server_version_info=(17, 0, 0, "final", 0, ""),
    server_serie="17.0",
    json2=False,
    precisions=(
        (1, "Percentage Analytic", 2),
        (2, "Product Price", 2),
        (3, "Discount", 2),
        (4, "Stock Weight", 2),
        (5, "Volume", 2),
        (6, "Product Unit of Measure", 2),
        (7, "Payment Terms", 6),
    ),
    default_rounding="round_per_line",
    messages={
        **_COMMON_MESSAGES,
        "missing_method": "The method '{method}' does not exist on the model '{model}'",
        "private_method": "Private methods (such as {method}) cannot be called remotely.",
        "invalid_field": "Invalid field '{field}' on model '{model}'",
        "post_no_lines": "You need to add a line before posting.",
    },
)

# The 19.0 recording's database had ``round_globally`` (30_json2_odoo19, "company").
# Precision ids 2 and 5-7 were not recorded; the names follow 17.0's list.
ODOO_19 = Profile(
    server_version="19.0",
    server_version_info=(19, 0, 0, "final", 0, ""),
    server_serie="19.0",
    json2=True,
    precisions=(
        (1, "Product Unit", 2),
        (2, "Percentage Analytic", 2),
        (3, "Product Price", 2),
        (4, "Discount", 2),
        (5, "Stock Weight", 2),
        (6, "Volume", 2),
        (7, "Payment Terms", 6),
    ),
    default_rounding="round_globally",
    messages={
        **_COMMON_MESSAGES,
        "missing_method": "The method '{model}.{method}' does not exist",
        "private_method": (
            "Private methods (such as '{model}.{method}') cannot be called remotely."
        ),
        "invalid_field": "Invalid field '{field}' in '{model}'",
        "post_no_lines": "Even magicians can't post nothing!",
    },
)

PROFILES = {"17.0": ODOO_17, "19.0": ODOO_19}


def profile_for(version: str) -> Profile:
    """``"17.0"`` or ``"19.0"`` (a full server_version such as ``"17.0-20240709"`` works)."""
    serie = version.split("-")[0]
    if serie not in PROFILES:
        raise ValueError(f"unsupported Odoo version {version!r}; choose one of {sorted(PROFILES)}")
    return PROFILES[serie]
