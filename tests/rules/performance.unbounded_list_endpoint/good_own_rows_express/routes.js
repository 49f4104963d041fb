// The signed-in seller's own listings (synthetic fixture, targeted.yaml's shape): bounded by one owner.
const express = require("express");
const mongoose = require("mongoose");
const requireLogin = require("./requireLogin");

const Listing = mongoose.model("Listing", new mongoose.Schema({ title: String, seller: String }));
const router = express.Router();
router.use(requireLogin);

router.get("/mine", async (req, res) => {
  const listings = await Listing.find({ seller: req.user._id });
  return res.json(listings);
});

module.exports = router;
