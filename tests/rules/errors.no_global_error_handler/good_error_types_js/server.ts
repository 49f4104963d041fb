import express from "express";

export class NotFoundError extends Error {
  status = 404;
}

const app = express();

app.get("/items/:id", (req, res) => {
  throw new NotFoundError(req.params.id);
});
