import Foundation
import KarmayogiCore
import Vapor

/// An organisation's LTI tools, for its admins: what is registered, what each tool's developer configures, a form
/// to register one and a button to revoke one.
struct ToolPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("admin", "organisations", ":id", "lti-tools", use: Self.show)
        routes.post("admin", "organisations", ":id", "lti-tools", use: Self.register)
        routes.post("admin", "organisations", ":id", "lti-tools", ":tool", "revoke", use: Self.revoke)
    }

    struct Form: Content {
        var name: String?
        var loginUrl: String?
        var launchUrl: String?
        var jwksUrl: String?
        var jwks: String?
    }

    @Sendable static func show(_ request: Request) async throws -> HTML {
        try await page(request, form: Form(), problem: nil, notice: nil)
    }

    static func page(_ request: Request, form: Form, problem: Problem?, notice: String?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let organisation = try await LTITools.manageable(try request.id(of: "organisation"), by: principal, on: request.db)
        let id = organisation.id!.uuidString.lowercased()
        let tools = try await LTITools.registered(on: organisation.id!, on: request.db)
        let base = request.application.settings.publicURL
        let errors = Dictionary(problem?.errors.map { ($0.field, $0.reason) } ?? [], uniquingKeysWith: { first, _ in first })
        let platform: [(String, String)] = [
            (t("lti.tools.issuer"), base), (t("lti.tools.authorize"), base + "/lti/authorize"), (t("lti.tools.token"), base + "/lti/token"),
            (t("lti.tools.ourKeys"), base + "/lti/jwks.json"),
        ]
        let listed: [HTML] = tools.map { tool in
            let facts: [(String, String)] = [
                (t("lti.tools.clientId"), tool.clientID), (t("lti.tools.deploymentId"), tool.deploymentID), (t("lti.tools.loginUrl"), tool.loginURL),
                (t("lti.tools.launchUrl"), tool.launchURL), (t("lti.tools.keys"), tool.jwksURL ?? t("lti.tools.keySetGiven")),
                (t("lti.tools.reference"), LTIItemReference.prefix + tool.id!.uuidString.lowercased()),
            ]
            return """
                <section class="card"><h2>\(tool.name)</h2>
                <dl class="facts-list">\(facts.map { "<dt>\($0.0)</dt><dd><code>\($0.1)</code></dd>" as HTML })</dl>
                <p class="muted">\(t("lti.tools.since", ["date": Formats.date(tool.createdAt, t)]))</p>
                <form method="post" action="/admin/organisations/\(id)/lti-tools/\(tool.id!.uuidString.lowercased())/revoke">\(request.csrfField)\
                <button class="secondary">\(t("lti.tools.revoke"))</button></form></section>
                """
        }
        return Layout.page(t("lti.tools.title"), for: request, crumbs: OrganisationPages.crumbs(t, [
            .init(organisation.name, "/admin/organisations/\(id)"), .init(t("lti.tools.title")),
        ]), """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            <p>\(t("lti.tools.intro", ["name": organisation.name]))</p>
            <section class="card"><h2>\(t("lti.tools.platform"))</h2>
            <dl class="facts-list">\(platform.map { "<dt>\($0.0)</dt><dd><code>\($0.1)</code></dd>" as HTML })</dl></section>
            \(listed)\(listed.isEmpty ? "<p class=\"muted\">\(t("lti.tools.none"))</p>" as HTML : "")
            <details class="card"\(problem == nil ? "" : " open" as HTML)><summary>\(t("lti.tools.register"))</summary>
            <form method="post" action="/admin/organisations/\(id)/lti-tools">\(request.csrfField)
            \(UI.field("name", label: t("lti.tools.name"), value: form.name ?? "", error: errors["name"], required: true))
            \(UI.field("loginUrl", label: t("lti.tools.loginUrl"), type: "url", value: form.loginUrl ?? "", hint: t("lti.tools.loginHint"), error: errors["loginUrl"], required: true))
            \(UI.field("launchUrl", label: t("lti.tools.launchUrl"), type: "url", value: form.launchUrl ?? "", hint: t("lti.tools.launchHint"), error: errors["launchUrl"], required: true))
            \(UI.field("jwksUrl", label: t("lti.tools.jwksUrl"), type: "url", value: form.jwksUrl ?? "", hint: t("lti.tools.jwksHint"), error: errors["jwksUrl"]))
            <div class="\(errors["jwks"] == nil ? "" : "invalid")"><label for="field-jwks">\(t("lti.tools.jwks"))</label>\
            \(errors["jwks"].map { "<span class=\"field-error\" id=\"field-jwks-error\">\($0)</span>" as HTML } ?? "")\
            <textarea id="field-jwks" name="jwks" rows="4">\(form.jwks ?? "")</textarea></div>
            <div class="actions"><button>\(t("lti.tools.registerButton"))</button></div></form></details>
            """)
    }

    @Sendable static func register(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(Form.self)
        let organisationID = try request.id(of: "organisation")
        func blank(_ text: String?) -> String? { text.flatMap { $0.trimmed.isEmpty ? nil : $0.trimmed } }
        return try await Layout.answer(request, {
            var keys: JSONValue?
            if let text = blank(form.jwks) {
                guard text.utf8.count <= 64 * 1024, (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any],
                      let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
                else { throw Problem.invalid("jwks", request.catalogue("lti.tools.notJSON")) }
                keys = value
            }
            let input = LTIToolInput(name: form.name, loginUrl: blank(form.loginUrl), launchUrl: blank(form.launchUrl), jwksUrl: blank(form.jwksUrl), jwks: keys)
            let tool = try await LTITools.register(input, on: organisationID, by: principal, request: request)
            return request.catalogue("lti.tools.registered", ["name": tool.name])
        }) { notice, problem in
            try await page(request, form: problem == nil ? Form() : form, problem: problem, notice: notice)
        }
    }

    @Sendable static func revoke(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        return try await Layout.answer(request, {
            let tool = try await LTITools.revoke(try request.id("tool", of: "tool"), by: principal, request: request)
            return request.catalogue("lti.tools.revoked", ["name": tool.name])
        }) { notice, problem in
            try await page(request, form: Form(), problem: problem, notice: notice)
        }
    }
}
