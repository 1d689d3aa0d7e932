"""charting views."""

from django.urls import URLPattern

urls: list[URLPattern] = []
portal_urls: list[URLPattern] = []
