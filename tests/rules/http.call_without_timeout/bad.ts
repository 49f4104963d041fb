// Outbound requests with nothing bounding their time (synthetic fixture).
import axios from "axios";
import got from "got";
import fetchPolyfill from "node-fetch";
import ky from "ky";
import express from "express";

const api = axios.create({ baseURL: "https://crm.example.com" });
const app = express();

export async function rates() {
  const res = await fetch("https://rates.example.com/latest"); // expect: http.call_without_timeout
  return res.json();
}

export async function order(payload: object) {
  await axios.post("https://erp.example.com/orders", payload); // expect: http.call_without_timeout
  await axios.get("https://erp.example.com/status"); // expect: http.call_without_timeout
  await api.get("/contacts"); // expect: http.call_without_timeout
  await got("https://erp.example.com/ping"); // expect: http.call_without_timeout
  await fetchPolyfill("https://erp.example.com/ping"); // expect: http.call_without_timeout
  await ky.get("https://erp.example.com/ping", { timeout: false }); // expect: http.call_without_timeout
  return axios.get("https://erp.example.com/slow", { timeout: 0 }); // expect: http.call_without_timeout
}

app.post("/proxy", async (req, res) => {
  const upstream = await fetch(req.body.url, { method: "GET" }); // expect: http.call_without_timeout
  res.send(await upstream.text());
});
