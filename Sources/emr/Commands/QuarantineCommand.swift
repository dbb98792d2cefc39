import ArgumentParser
import Foundation
import Marts
import State

/// `emr quarantine`: records refused by decoding or staging, with their reasons.
struct QuarantineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "List quarantined records with their reasons, source topic, partition and offset.",
        discussion: """
            Examples:
              emr quarantine --state state.sqlite
              emr quarantine --state state.sqlite --json | jq .reasons
            """
    )

    @Option(name: .long, help: ArgumentHelp("State database written by `emr consume`.", valueName: "file"))
    var state: String

    func validate() throws {
        try OptionChecks.nonEmpty(state, "--state")
    }

    @Flag(name: .long, help: "One JSON object per line (key, value and headers included).")
    var json = false

    func run() throws {
        let store = try StateStore(readingExisting: state, migrations: MartSchema.migrations)
        let records = try store.quarantined()
        for record in records {
            if json {
                let object: [String: Any] = [
                    "topic": record.topic, "partition": record.partition, "offset": record.offset, "stage": record.stage.rawValue,
                    "reasons": record.reasons, "key": record.key.map { String(decoding: $0, as: UTF8.self) } ?? NSNull(),
                    "value": record.value.map { String(decoding: $0, as: UTF8.self) } ?? NSNull(), "headers": record.headers,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("\(record.topic)/\(record.partition)@\(record.offset) [\(record.stage.rawValue)] \(record.reasons.joined(separator: "; "))")
            }
        }
        if !json { print("quarantine: \(records.count) records") }
    }
}
