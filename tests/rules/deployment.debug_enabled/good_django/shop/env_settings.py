import os

INSTALLED_APPS = ["shop"]
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
