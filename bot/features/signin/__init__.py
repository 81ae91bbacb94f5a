"""Sign-in by email, for a school without Microsoft or Google sign-in: a person in the directory
asks at ``/signin/email``, the school's own mailer sends them a one-time link and a code (for
typing on another device), and either signs them in once within 15 minutes. Microsoft or Google
sign-in (OIDC) stays the recommended way: when it is set up this room is closed.
"""
