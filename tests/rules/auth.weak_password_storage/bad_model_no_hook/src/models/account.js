// Mongoose model with no hashing hook (synthetic fixture).
const mongoose = require("mongoose");

const accountSchema = new mongoose.Schema({ email: String, password: String });

accountSchema.pre("save", function (next) {
  this.email = this.email.toLowerCase();
  next();
});

module.exports = mongoose.model("Account", accountSchema);
