"""users"""
revision = "0001"
