const express = require("express");
const multer = require("multer");

const upload = multer({ dest: "uploads/" }); // expect: web.upload_without_limits
const app = express();

app.post("/upload", upload.single("file"), (req, res) => res.json({ name: req.file.filename }));
app.listen(3000);
