const w = new Worker(new URL("./tfw.ts", import.meta.url), { type: "module" });
w.onmessage = (e) => { console.log(e.data); w.terminate(); };
w.onerror = (e) => { console.log("ERR", e.message); e.preventDefault(); w.terminate(); };
