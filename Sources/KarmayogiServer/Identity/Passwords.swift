import Foundation
import KarmayogiCore

extension PasswordPolicy {
    /// The platform's rule with the shipped list of common passwords (`Resources/common-passwords.txt`, sources in its header).
    static let platform: PasswordPolicy = {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt", subdirectory: "Resources"),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("the bundled Resources/common-passwords.txt is missing") }
        return PasswordPolicy(list: text)
    }()
}
