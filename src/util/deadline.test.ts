import { describe, expect, it } from 'vitest';
import { Deadline } from './deadline.js';

describe('Deadline.onExpire', () => {
  it('calls every watcher once when the deadline is cut short, and not the cancelled ones', () => {
    const parent = new AbortController();
    const deadline = Deadline.after(60_000, parent.signal);
    const calls: string[] = [];
    deadline.onExpire(() => calls.push('a'));
    const cancelB = deadline.onExpire(() => calls.push('b'));
    deadline.onExpire(() => calls.push('c'));
    cancelB();
    expect(calls).toEqual([]);
    parent.abort(new Error('stop'));
    expect(calls).toEqual(['a', 'c']);
    parent.signal.dispatchEvent(new Event('abort'));
    expect(calls).toEqual(['a', 'c']);
  });

  it('calls a watcher at once when the deadline has already passed', () => {
    const parent = new AbortController();
    parent.abort();
    const deadline = Deadline.after(60_000, parent.signal);
    let called = 0;
    const cancel = deadline.onExpire(() => called++);
    expect(called).toBe(1);
    cancel();
    expect(called).toBe(1);
  });

  it('fires on its own when the time runs out', async () => {
    const deadline = Deadline.after(5);
    const fired = await new Promise<boolean>((resolve) => deadline.onExpire(() => resolve(true)));
    expect(fired).toBe(true);
    expect(deadline.expired).toBe(true);
  });
});
