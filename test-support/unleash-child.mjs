// Runs unleash-server in its own process, so the test harness can stop it by pid.
// The harness passes the full start options as JSON in UNLEASH_CHILD_OPTIONS.
import { start } from 'unleash-server';

// If the harness dies without stopping us (crashed worker), stdin closes: exit rather than linger.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

try {
  await start(JSON.parse(process.env.UNLEASH_CHILD_OPTIONS ?? '{}'));
} catch (err) {
  console.error('unleash-server failed to start:', err);
  process.exit(1);
}
