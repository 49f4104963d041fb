from flask import Flask

app = Flask(__name__)

if __name__ == "__main__":
    # the developer's path: the Procfile starts gunicorn, which never runs this block
    app.run(debug=True)
