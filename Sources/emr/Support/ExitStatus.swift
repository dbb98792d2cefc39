import ArgumentParser
import Foundation
import Kafka
import State

/// Maps errors to the exit codes scripts rely on: 0 ok, 1 runtime failure, 2 usage error.
enum ExitStatus {
    static let failure: Int32 = 1
    static let usage: Int32 = 2

    /// Prints the error (help goes to stdout, errors to stderr as one line) and returns the code.
    static func report(_ error: Error) -> Int32 {
        if let exit = error as? ExitCode { return exit.rawValue }
        if let runtime = error as? RuntimeFailure {
            printError("emr: error: \(runtime.message)")
            return failure
        }
        if let kafka = error as? KafkaError {
            printError("emr: error: \(kafka.message)")
            return failure
        }
        if let file = FileProblem.describe(error) {
            // Foundation's file errors as one plain line: path and what is wrong.
            printError("emr: error: \(file)")
            return failure
        }
        let code = EMR.exitCode(for: error)
        if code == .success {
            // --help, --version
            print(EMR.fullMessage(for: error))
            return 0
        }
        if code == .validationFailure {
            printError(EMR.fullMessage(for: error))
            return usage
        }
        printError("emr: error: \(error)")
        return failure
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// A runtime failure with a one-line message (exit code 1).
struct RuntimeFailure: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
