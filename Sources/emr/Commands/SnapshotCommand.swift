import ArgumentParser
import Foundation
import Marts
import State

/// `emr snapshot`: a consistent copy of the whole state file (backup), also while a consumer writes.
struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Copy the whole state file consistently (a backup a consumer can resume from).",
        discussion: """
            Reads one snapshot of the state file (WAL: never blocks a consumer that is writing it) \
            and writes a complete, compact copy with SQLite's VACUUM INTO, beside --out first and \
            renamed into place. `emr consume --state COPY` resumes from the copy's offsets: what \
            came after the snapshot is read again from Kafka, nothing is lost or doubled.

            Examples:
              emr snapshot --state state.sqlite --out backups/state-$(date -u +%Y%m%dT%H%M%SZ).sqlite
              emr consume --state backups/state-20261126T180000Z.sqlite --exit-when-caught-up
            """
    )

    @Option(name: .long, help: ArgumentHelp("State database written by `emr consume`.", valueName: "file"))
    var state: String

    @Option(name: .long, help: ArgumentHelp("The copy to write.", valueName: "file"))
    var out: String

    @Flag(name: .long, help: "Replace an existing --out.")
    var force = false

    func validate() throws {
        try OptionChecks.nonEmpty(state, "--state")
        try OptionChecks.nonEmpty(out, "--out")
    }

    func run() throws {
        let started = Date()
        let bytes = try StateSnapshot.copy(state, to: out, replace: force, migrations: MartSchema.migrations)
        print(String(format: "snapshot: %@ -> %@ (%.1f MB) in %.2f s", state, out, Double(bytes) / 1e6, Date().timeIntervalSince(started)))
    }
}
