import sqlite3
import sys


def main():
    conn = sqlite3.connect("notes.db")
    conn.execute("INSERT INTO notes(text) VALUES (?)", (sys.argv[1],))
    conn.commit()


if __name__ == "__main__":
    main()
