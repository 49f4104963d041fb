from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "change-me"
DEBUG = True  # expect: deployment.debug_enabled
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.admin", "shop"]
ROOT_URLCONF = "shop.urls"
