import jwt from "jsonwebtoken";
import { SignJWT } from "jose";

const SECRET = process.env.JWT_SECRET!;

export function issue(user: { id: string }) {
  return jwt.sign({ sub: user.id }, SECRET, { expiresIn: "15m" });
}

export function issueWithClaim(user: { id: string }) {
  return jwt.sign({ sub: user.id, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);
}

export function forward(claims: object, options: jwt.SignOptions) {
  return jwt.sign(claims, SECRET, options);
}

export function check(token: string) {
  return jwt.verify(token, SECRET);
}

export async function session(userId: string, key: Uint8Array) {
  return await new SignJWT({ sub: userId }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("2h").sign(key);
}
