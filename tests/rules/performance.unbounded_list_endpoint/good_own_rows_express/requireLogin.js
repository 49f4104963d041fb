const jwt = require("jsonwebtoken");
module.exports = (req, res, next) => {
  const header = req.headers["authorization"];
  if (!header) return res.status(401).end();
  req.user = jwt.verify(header.split(" ")[1], process.env.KEY);
  next();
};
