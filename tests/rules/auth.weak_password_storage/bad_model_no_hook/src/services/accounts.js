// The same service over a model that stores the password as typed (synthetic fixture).
const express = require("express");
const Account = require("../models/account");

const router = express.Router();

router.post("/register", async (req, res) => {
  const account = await Account.create({
    email: req.body.email,
    password: req.body.password, // expect: auth.weak_password_storage
  });
  res.json({ id: account.id });
});

module.exports = router;
