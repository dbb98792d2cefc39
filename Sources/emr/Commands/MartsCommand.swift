import ArgumentParser
import Foundation
import Marts

/// `emr marts describe`: the data dictionary.
struct MartsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "marts",
        abstract: "Describe the marts (the data dictionary).",
        subcommands: [Describe.self]
    )

    /// `emr marts describe`
    struct Describe: ParsableCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable { case markdown, json }

        static let configuration = CommandConfiguration(
            abstract: "Print every mart: grain, columns with type, meaning, source field and rule, and the lineage.",
            discussion: """
                From the same declarations the consumer and the exports use. docs/marts.md is its \
                Markdown output (a test keeps it current; `make docs` rewrites it).

                Examples:
                  emr marts describe
                  emr marts describe --format json | jq '.marts[] | {name, grain}'
                """
        )

        @Option(name: .long, help: "markdown (with a Mermaid lineage diagram) or json.")
        var format: Format = .markdown

        func run() throws {
            switch format {
            case .markdown: print(MartDictionaryDocument.markdown(), terminator: "")
            case .json: print(String(decoding: try MartDictionaryDocument.json(), as: UTF8.self))
            }
        }
    }
}
