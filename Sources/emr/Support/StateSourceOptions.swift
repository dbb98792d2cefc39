import ArgumentParser

/// Where read-only commands find the marts: one state file, or the task files of one or more
/// state directories (merged, each task from the directory where it is furthest along).
struct StateSourceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("State database written by `emr consume`.", valueName: "file"))
    var state: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("A directory written by `emr consume --state-dir` (repeatable: the directories of several instances are merged).", valueName: "dir"))
    var stateDirectories: [String] = []

    func validate() throws {
        switch (state, stateDirectories.isEmpty) {
        case (nil, true): throw ValidationError("give --state FILE or --state-dir DIR")
        case (.some, false): throw ValidationError("--state and --state-dir do not go together")
        default: break
        }
        try OptionChecks.nonEmpty(state, "--state")
        for directory in stateDirectories { try OptionChecks.nonEmpty(directory, "--state-dir") }
    }
}
