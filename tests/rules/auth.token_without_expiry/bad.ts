import jwt from "jsonwebtoken";
import { SignJWT } from "jose";

const SECRET = process.env.JWT_SECRET!;

export function issue(user: { id: string }) {
  return jwt.sign({ sub: user.id }, SECRET); // expect: auth.token_without_expiry
}

export function issueWithAlgorithm(user: { id: string }) {
  return jwt.sign({ sub: user.id, role: "admin" }, SECRET, { algorithm: "HS256" }); // expect: auth.token_without_expiry
}

export function check(token: string) {
  return jwt.verify(token, SECRET, { ignoreExpiration: true }); // expect: auth.token_without_expiry
}

export async function session(userId: string, key: Uint8Array) {
  return await new SignJWT({ sub: userId }).setProtectedHeader({ alg: "HS256" }).sign(key); // expect: auth.token_without_expiry
}
