// A service creating the account through the model: the hook in models/account.js hashes (synthetic fixture).
const express = require("express");
const Account = require("../models/account");

const router = express.Router();

router.post("/register", async (req, res) => {
  const account = await Account.create({
    email: req.body.email,
    password: req.body.password,
  });
  res.json({ id: account.id });
});

module.exports = router;
