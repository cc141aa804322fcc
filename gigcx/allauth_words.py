"""Sentences of django-allauth's pages that the site translates itself.

allauth ships German that mostly speaks to the reader as "du"; the rest of the site says
"Sie". Naming the sentences here puts them in locale/de (``make messages``), and the site's
catalog wins over allauth's, so sign-in, sign-up and the account pages read formal German.
Nothing imports this module: it exists to be read by makemessages.
"""

from django.utils.translation import gettext_noop

ALLAUTH_SENTENCES = (
    gettext_noop(
        "If you have not created an account yet, then please %(link)ssign up%(end_link)s first."
    ),
    gettext_noop("Already have an account? Then please %(link)ssign in%(end_link)s."),
    gettext_noop("Are you sure you want to sign out?"),
    gettext_noop("You have signed out."),
    gettext_noop("You are already logged in as %(user_display)s."),
    gettext_noop("You have confirmed %(email)s."),
    gettext_noop("Please type your current password."),
    gettext_noop("You must type the same password each time."),
    gettext_noop("You must type the same email each time."),
    gettext_noop("Your password is now changed."),
    gettext_noop("Your password has been changed."),
    gettext_noop("Your account has no password set up."),
    gettext_noop("Your account has no verified email address."),
    gettext_noop("Be patient, you are sending too many requests."),
    gettext_noop("You cannot remove your primary email address."),
    gettext_noop("You cannot remove your primary email address (%(email)s)."),
    gettext_noop("You cannot add more than %d email addresses."),
    gettext_noop("Your primary email address must be verified."),
    gettext_noop("Your email address is still pending verification."),
    gettext_noop("Do you really want to remove the selected email address?"),
    gettext_noop("Please Confirm Your Email Address"),
    gettext_noop("Verify Your Email Address"),
    gettext_noop(
        "Forgotten your password? Enter your email address below, and we'll send you an email "
        "allowing you to reset it."
    ),
    gettext_noop(
        "We have sent you an email. If you have not received it please check your spam folder. "
        "Otherwise contact us if you do not receive it in a few minutes."
    ),
    gettext_noop(
        "This email confirmation link expired or is invalid. Please "
        '<a href="%(email_url)s">issue a new email confirmation request</a>.'
    ),
    gettext_noop(
        "The password reset link was invalid, possibly because it has already been used.  "
        'Please request a <a href="%(passwd_reset_url)s">new password reset</a>.'
    ),
    gettext_noop(
        "You currently do not have any email address set up. You should really add an email "
        "address so you can receive notifications, reset your password, etc."
    ),
    gettext_noop(
        "We have sent an email to you for verification. Follow the link provided to finalize "
        "the signup process. If you do not see the verification email in your main inbox, "
        "check your spam folder. Please contact us if you do not receive the verification "
        "email within a few minutes."
    ),
    gettext_noop(
        '<strong>Note:</strong> you can still <a href="%(email_url)s">change your email '
        "address</a>."
    ),
    gettext_noop("Enter the code displayed on your device."),
    gettext_noop("You are about to generate a new set of recovery codes for your account."),
    gettext_noop(
        "You are about to deactivate authenticator app based authentication. Are you sure?"
    ),
)
