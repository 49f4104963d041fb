"""urllib reads the process-wide socket default (synthetic fixture): nothing to report."""
import socket
import urllib.request

socket.setdefaulttimeout(15)


def legacy(url):
    return urllib.request.urlopen(url).read()


def explicit(url):
    return urllib.request.urlopen(url, None, 10).read()
