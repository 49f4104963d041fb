from http_client import client


def status():
    return client.get("/status")  # expect: http.call_without_timeout
