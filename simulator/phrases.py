"""Result texts as they appear in ``status`` and ``authenticationDetails``.

Real logs spell the same MFA result several ways ("MFA denied; ..." vs "MFA Denied; ...",
typographic vs ASCII apostrophes, "didn't" vs "did not"), so each cause has a list of
spellings and ``spell`` picks one.
"""

from __future__ import annotations

import random

FAILURE_500121 = "Authentication failed during strong authentication request."
GENERIC_500121_DETAIL = (
    "The user didn't complete the MFA prompt. They may have timed out, opted not to "
    "authenticate, or encountered an issue with their MFA setup."
)

# Method labels as logged in authenticationDetails / mfaDetail.
PUSH = "Mobile app notification"
OATH = "OATH verification code"
SMS = "Text message"
VOICE = "Phone call (Authentication phone)"
TAP = "Temporary Access Pass"
FIDO = "FIDO2 security key"
PASSWORD = "Password"
PREVIOUS = "Previously satisfied"
METHODS_USED = {
    PUSH: "Authenticator App",
    OATH: "App Verification code",
    SMS: "SMS",
    VOICE: "Voice",
    TAP: "Temporary Access Pass",
    FIDO: "FIDO",
}

MFA_OK = "MFA successfully completed"
MFA_BY_CLAIM = "MFA requirement satisfied by claim in the token"
FIRST_FACTOR_BY_CLAIM = "First factor requirement satisfied by claim in the token"
MFA_COMPLETED = "MFA completed in Azure AD"

_PREFIXES = ["MFA denied; ", "MFA denied; ", "MFA denied; ", "MFA Denied; ", "MFA denied, "]

# One entry per cause whose evidence is a text; values are phrases without the prefix.
CAUSE_PHRASES = {
    "prompt_denied": ["user declined the authentication"],
    "push_not_delivered": [
        "user did not respond to mobile app notification",
        "user didn't respond to mobile app notification",
        "user didn\u2019t respond to mobile app notification",
        "unable to send the mobile app notification to the device",
        "unable to send the mobile app notification",
        "authentication in-progress",
        "duplicate authentication attempt",
    ],
    "time_drift": [
        "user entered incorrect code",
        "invalid mobile app verification code",
        "entered incorrect code too many times",
        "verification code already used once",
    ],
    "registration_broken": [
        "user doesn't have any verification methods registered",
        "user doesn\u2019t have any verification methods registered",
        "misconfiguration",
        "invalid authentication",
        "phone number has an invalid format",
    ],
    "fraud_reported": ["Phone App Reported Fraud", "Fraud Code Entered", "fraud code entered"],
    "number_mismatch": ["user entered incorrect code"],
}
# Neutral outcomes: say the MFA step failed but name no cause of the taxonomy.
NEUTRAL_BY_METHOD = {
    SMS: ["user never entered the verification code"],
    VOICE: ["phone call went to voicemail", "user hung up the phone call without succeeding the authentication"],
    PUSH: ["service error"],
}
TAP_FAILURES = [
    "Temporary Access Pass sign in was blocked due to User Credential Policy",
    "Temporary Access Pass is expired",
    "Temporary Access Pass has already been used",
]

# Other error codes used around MFA flows: code -> (failureReason, additionalDetails).
OTHER_CODES = {
    50126: (
        "Error validating credentials due to invalid username or password.",
        "The user didn't enter the right credentials. It's expected to see some number of these "
        "errors in your logs due to users making mistakes.",
    ),
    50074: ("Strong Authentication is required.", "MFA required in Azure AD"),
    50076: (
        "Due to a configuration change made by your administrator, or because you moved to a new "
        "location, you must use multi-factor authentication to access the resource.",
        None,
    ),
    50140: ("This occurred due to 'Keep me signed in' interrupt when the user was signing in.", None),
    50058: ("Session information is not sufficient for single-sign-on.", None),
    50089: (
        "Flow token expired - Authentication Failed. Have the user try signing-in again with username -password.",
        None,
    ),
    50199: (
        "For security reasons, user confirmation is required for this request. Please repeat the "
        "request allowing user interaction.",
        None,
    ),
    50132: ("The session is not valid due to password expiration or recent password change.", None),
    50133: ("Session is invalid due to expiration or recent password change.", None),
    53003: (
        "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
        None,
    ),
}
WRONG_PASSWORD_STEP = "Invalid username or password or Invalid on-premise username or password."


def spell(rng: random.Random, cause: str) -> str:
    """One realistic spelling of the result text for a text-evidenced cause."""
    phrase = rng.choice(CAUSE_PHRASES[cause])
    return _prefix(rng) + phrase


def spell_phrase(rng: random.Random, phrase: str) -> str:
    """``phrase`` behind one of the usual prefixes."""
    return _prefix(rng) + phrase


def neutral(rng: random.Random, method: str) -> str:
    """A failed-MFA text for ``method`` that points at no cause."""
    return _prefix(rng) + rng.choice(NEUTRAL_BY_METHOD[method])


def _prefix(rng: random.Random) -> str:
    return rng.choice(_PREFIXES)
