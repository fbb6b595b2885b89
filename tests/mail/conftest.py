from mail_support import smtp_server  # noqa: F401 - the SMTP server fixture
