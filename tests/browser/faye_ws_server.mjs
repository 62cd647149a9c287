// One `faye-ws serve` process on 127.0.0.1 with a port from the OS: started
// with extra options, its URL read from the line it prints, its stderr (one
// line per connection event) kept in a log file for post-mortems, and
// stopped by its PID.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

const startLimitMs = 10_000;
const stopLimitMs = 5_000;

// Every server still running, so that the runner can kill them on any exit.
const running = new Set();

export function killAllServers() {
  for (const server of running) server.kill();
}

export class FayeWsServer {
  static async start({ fayeWs, name, options = [], logFile }) {
    const log = fs.openSync(logFile, 'w');
    const child = spawn(fayeWs, ['serve', '--host', '127.0.0.1', '--port', '0', '--threads', '1', ...options],
                        { stdio: ['ignore', 'pipe', log] });
    fs.closeSync(log);
    const server = new FayeWsServer(name, child);
    running.add(server);
    try {
      server.url = await server.listeningUrl();
    } catch (error) {
      server.kill();
      throw error;
    }
    return server;
  }

  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.exit = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      });
    });
    child.on('error', () => {});
  }

  // "faye-ws serve: listening on http://127.0.0.1:PORT/ (1 thread)"
  listeningUrl() {
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`${this.name}: no "listening on" line within ${startLimitMs} ms`)),
                               startLimitMs);
      this.child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      this.child.on('error', (error) => reject(new Error(`${this.name}: ${error.message}`)));
      this.child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.name}: exited (${signal ?? code}) before listening: ${output.trim()}`));
      });
    });
  }

  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.child.pid, 'SIGKILL');
  }

  // SIGTERM is the graceful stop; returns how the process ended, escalating
  // to SIGKILL if it did not end in time.
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exit;
    process.kill(this.child.pid, 'SIGTERM');
    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(() => resolve(null), stopLimitMs); });
    const ended = await Promise.race([this.exit, late]);
    clearTimeout(timer);
    if (ended) return ended;
    this.kill();
    return { ...(await this.exit), late: true };
  }
}
