// axios.defaults.timeout bounds every request made with axios (synthetic fixture): nothing to report.
const axios = require("axios");

axios.defaults.timeout = 10000;

async function status() {
  return axios.get("https://erp.example.com/status");
}

module.exports = { status };
