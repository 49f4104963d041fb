export const MODELS = ["gpt-4o", "gpt-4o-mini"]; // the user picks; the default below is the premium one
