import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandOf } from './command-table.ts';
import { buildProgram, programFor } from './main.ts';

const argv = (...args: string[]) => ['node', 'gridledger', ...args];

describe('the command table', () => {
  it('lists every command with the name, term and description its module registers, in order', async () => {
    const program = await buildProgram();
    const help = new Help();
    expect(COMMANDS.map((c) => [c.name, c.term, c.description])).toEqual(
      program.commands.map((cmd) => [cmd.name(), help.subcommandTerm(cmd), cmd.description()]),
    );
  });

  it('gives `gridledger --help` the same text as the whole program', async () => {
    const whole = (await buildProgram()).helpInformation();
    expect((await programFor(argv('--help'))).helpInformation()).toBe(whole);
    expect((await programFor(argv())).helpInformation()).toBe(whole);
  });

  it('registers only the command that runs', async () => {
    expect((await programFor(argv('opf', 'case14.m'))).commands.map((c) => c.name())).toEqual(['opf']);
    expect((await programFor(argv('help', 'order'))).commands.map((c) => c.name())).toEqual(['order']);
  });

  it('finds the command as commander does', () => {
    expect(commandOf(argv('opf', 'case14.m', '--format', 'json'))?.name).toBe('opf');
    expect(commandOf(argv('meter', 'sign', '--help'))?.name).toBe('meter');
    expect(commandOf(argv('help', 'clear'))?.name).toBe('clear');
    expect(commandOf(argv('--', 'verify'))?.name).toBe('verify');
    expect(commandOf(argv('--help', 'opf'))).toBeUndefined();
    expect(commandOf(argv('-V'))).toBeUndefined();
    expect(commandOf(argv('help'))).toBeUndefined();
    expect(commandOf(argv('frobnicate'))).toBeUndefined();
    expect(commandOf(argv())).toBeUndefined();
  });
});
