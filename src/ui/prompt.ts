/** Whether a person can answer a prompt: both ends of the terminal are there. */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/** Asks a yes/no question on the terminal (on stderr, so stdout stays clean). */
export async function confirm(message: string, defaultAnswer = false): Promise<boolean> {
  // Loaded here, not at start-up: most runs never prompt, and it is the slowest module to load.
  const { default: inquirer } = await import('inquirer');
  const prompt = inquirer.createPromptModule({ output: process.stderr });
  try {
    const answer = await prompt<{ proceed: boolean }>([{ type: 'confirm', name: 'proceed', message, default: defaultAnswer }]);
    return answer.proceed;
  } catch {
    // Ctrl-C or a closed terminal during the prompt is a "no".
    return false;
  }
}
