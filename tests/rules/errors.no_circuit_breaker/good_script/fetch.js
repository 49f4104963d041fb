// a one-off script: no server, no route
const r = await fetch("https://api.example.com/export");
console.log(await r.json());
