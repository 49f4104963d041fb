const express = require("express");
const multer = require("multer");

const upload = multer({
  dest: "uploads/",
  limits: { fileSize: 5 * 1024 * 1024 },
  fileFilter: (req, file, cb) => cb(null, ["image/png", "image/jpeg"].includes(file.mimetype)),
});
const app = express();

app.post("/upload", upload.single("file"), (req, res) => res.json({ ok: true }));
app.listen(3000);
