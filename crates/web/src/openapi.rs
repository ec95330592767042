//! The OpenAPI 3.1 document of the API, built from the route table (so that
//! every route is documented and nothing else is) with utoipa's builders. The
//! record schemas are written here from the model in `carnet-core`, which has
//! no dependency on utoipa; code lists come from the model itself.

use crate::routes::{self, Kind, Method, Route};
use carnet_core::model::*;
use serde_json::{Value, json};
use std::sync::OnceLock;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ComponentsBuilder, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required,
    ResponseBuilder,
};

const BEARER: &str = "jeton";

/// The document, built once.
pub fn document() -> OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(build).clone()
}

fn build() -> OpenApi {
    let mut paths = Paths::new();
    for route in routes::table() {
        let method = match route.method {
            Method::Get => HttpMethod::Get,
            Method::Post => HttpMethod::Post,
            Method::Put => HttpMethod::Put,
        };
        let item = PathItem::new(method, operation(&route));
        match paths.paths.get_mut(route.path) {
            Some(existing) => existing.merge_operations(item),
            None => {
                paths.paths.insert(route.path.to_owned(), item);
            }
        }
    }
    let mut components = ComponentsBuilder::new().security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("carnet_…")
                .description(Some("Jeton d'API créé par `carnet token create`"))
                .build(),
        ),
    );
    for (name, schema) in schemas() {
        components = components.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("API Carnet")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Dossier de l'usager informatisé. Chaque requête est limitée à l'organisme et \
                     aux établissements du jeton ; un identifiant hors de ce périmètre répond 404. \
                     Chaque lecture d'un dossier est tracée.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn json_content(schema: RefOr<Schema>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn listing(schema: &str) -> RefOr<Schema> {
    from_json(json!({
        "type": "object",
        "required": ["items", "next_after"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{schema}")}},
            "next_after": {"type": ["integer", "null"], "format": "int64",
                "description": "valeur de `after` pour la page suivante ; absente sur la dernière"}
        }
    }))
}

fn parameter(
    name: &str,
    location: ParameterIn,
    kind: Value,
    description: &str,
) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(location.clone())
        .required(if matches!(location, ParameterIn::Path) {
            Required::True
        } else {
            Required::False
        })
        .description(Some(description))
        .schema(Some(from_json(kind)))
        .build()
}

/// `from`, `to`, `preset` and the repeatable `finess` of the indicator routes.
fn indicator_parameters(mut op: OperationBuilder, explain: bool) -> OperationBuilder {
    let date = json!({"type": "string", "format": "date"});
    op = op
        .parameter(parameter(
            "from",
            ParameterIn::Query,
            date.clone(),
            "premier jour de la période, inclus (AAAA-MM-JJ) ; avec to, ou preset",
        ))
        .parameter(parameter(
            "to",
            ParameterIn::Query,
            date,
            "dernier jour de la période, inclus (AAAA-MM-JJ) ; 10 ans au plus après from",
        ))
        .parameter(parameter(
            "preset",
            ParameterIn::Query,
            json!({"type": "string", "examples": ["mois", "3mois", "6mois"]}),
            "période prédéfinie du jeu de règles de l'organisme (mois complets avant le mois en \
             cours, à Paris), à la place de from et to",
        ));
    let finess = ParameterBuilder::new()
        .name("finess")
        .parameter_in(ParameterIn::Query)
        .required(if explain {
            Required::True
        } else {
            Required::False
        })
        .description(Some(if explain {
            "FINESS géographique d'un établissement du jeton (répétable : finess=F&finess=G)"
        } else {
            "FINESS géographique d'un établissement du jeton (répétable : finess=F&finess=G) ; \
             par défaut tous ses établissements"
        }))
        .style(Some(utoipa::openapi::path::ParameterStyle::Form))
        .explode(Some(true))
        .schema(Some(from_json(json!({
            "type": "array",
            "items": {"type": "string", "minLength": 9, "maxLength": 9}
        }))))
        .build();
    op.parameter(finess)
}

fn integer() -> Value {
    json!({"type": "integer", "format": "int64", "minimum": 1})
}

fn operation(route: &Route) -> utoipa::openapi::path::Operation {
    let mut op = OperationBuilder::new()
        .tag(route.tag)
        .summary(Some(format!("{} — {}", route.summary, route.tag)))
        .operation_id(Some(format!(
            "{}_{}",
            route.method.as_str().to_lowercase(),
            route
                .path
                .trim_start_matches("/api/v1/")
                .replace(['/', '-', '.'], "_")
                .replace(['{', '}'], "")
        )));
    if route.path.contains("{id}") {
        op = op.parameter(parameter(
            "id",
            ParameterIn::Path,
            integer(),
            "identifiant de l'enregistrement",
        ));
    }
    let one = || json_content(schema_ref(route.schema));
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/json", json_content(schema_ref("Error")))
            .build()
    };
    let body = |schema: RefOr<Schema>| {
        Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content("application/json", json_content(schema))
                .build(),
        )
    };
    match route.kind {
        Kind::OpenApi => {
            return op
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("document OpenAPI")
                        .content(
                            "application/json",
                            json_content(from_json(json!({"type": "object"}))),
                        )
                        .build(),
                )
                .build();
        }
        Kind::List { persons } => {
            op = op
                .parameter(parameter("after", ParameterIn::Query, json!({"type": "integer", "format": "int64", "minimum": 0}), "ne renvoyer que les identifiants supérieurs (pagination)"))
                .parameter(parameter("limit", ParameterIn::Query, json!({"type": "integer", "minimum": 1, "maximum": carnet_store::Page::MAX_LIMIT, "default": 50}), "nombre maximal d'éléments"))
                .parameter(parameter("establishment", ParameterIn::Query, integer(), "filtrer par établissement"));
            if persons {
                op = op
                    .parameter(parameter(
                        "q",
                        ParameterIn::Query,
                        json!({"type": "string", "maxLength": 200}),
                        "recherche sur le nom, sans accents ni casse",
                    ))
                    .parameter(parameter(
                        "birth_date",
                        ParameterIn::Query,
                        json!({"type": "string", "format": "date"}),
                        "date de naissance AAAA-MM-JJ",
                    ))
                    .parameter(parameter(
                        "ins",
                        ParameterIn::Query,
                        json!({"type": "string", "maxLength": 30}),
                        "matricule INS",
                    ));
            } else {
                op = op.parameter(parameter(
                    "person",
                    ParameterIn::Query,
                    integer(),
                    "filtrer par personne",
                ));
            }
            op = op.response(
                "200",
                ResponseBuilder::new()
                    .description("une page de résultats")
                    .content("application/json", json_content(listing(route.schema)))
                    .build(),
            );
        }
        Kind::Indicators { explain } => {
            op = indicator_parameters(op, explain);
            let answer = if explain {
                from_json(
                    json!({"type": "array", "items": {"$ref": "#/components/schemas/Explained"},
                    "description": "un élément par établissement, dans l'ordre des paramètres finess"}),
                )
            } else {
                schema_ref(route.schema)
            };
            op = op
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description(if explain {
                            "chaque dossier avec, pour chaque indicateur, compté ou non et pourquoi ; \
                             les totaux égalent les indicateurs"
                        } else {
                            "les indicateurs, l'objet JSON de « carnet indicators --format json »"
                        })
                        .content("application/json", json_content(answer))
                        .build(),
                )
                .response(
                    "400",
                    error("paramètre invalide (date, période, période prédéfinie, FINESS), nommé dans la réponse"),
                )
                .response("404", error("FINESS inconnu ou hors du périmètre du jeton"));
        }
        Kind::Establishments => {
            op = op.response(
                "200",
                ResponseBuilder::new()
                    .description("les établissements visibles")
                    .content("application/json", json_content(listing(route.schema)))
                    .build(),
            );
        }
        Kind::Create => {
            let (request, response) = if route.schema == "Person" {
                ("PersonCreation", "PersonCreated")
            } else {
                (route.schema, route.schema)
            };
            op = op
                .request_body(body(schema_ref(request)))
                .response(
                    "201",
                    ResponseBuilder::new()
                        .description("créé")
                        .content("application/json", json_content(schema_ref(response)))
                        .build(),
                )
                .response("400", error("corps illisible (JSON, type d'un champ)"))
                .response(
                    "409",
                    error("référence inconnue ou hors périmètre, règle entre enregistrements"),
                )
                .response("422", error("règle de l'enregistrement non respectée"));
        }
        Kind::Upload => {
            let form = from_json(json!({
                "type": "object",
                "required": ["metadata", "content"],
                "properties": {
                    "metadata": {"$ref": "#/components/schemas/Document",
                        "description": "métadonnées ; sha256 et size sont calculés par le serveur"},
                    "content": {"type": "string", "contentMediaType": "application/octet-stream"}
                }
            }));
            op = op
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .required(Some(Required::True))
                        .content("multipart/form-data", json_content(form))
                        .build(),
                ))
                .response(
                    "201",
                    ResponseBuilder::new()
                        .description("déposé")
                        .content("application/json", one())
                        .build(),
                )
                .response("400", error("corps multipart illisible ou partie absente"))
                .response(
                    "409",
                    error("personne ou établissement inconnu ou hors périmètre"),
                )
                .response("413", error("fichier trop volumineux"))
                .response("422", error("règle du document non respectée"));
        }
        Kind::Read => {
            op = op
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("l'enregistrement")
                        .content("application/json", one())
                        .build(),
                )
                .response("404", error("introuvable ou hors périmètre"));
        }
        Kind::Update | Kind::StatusChange => {
            let request = if route.kind == Kind::StatusChange {
                schema_ref("CarePlanStatusChange")
            } else {
                schema_ref(route.schema)
            };
            op = op
                .request_body(body(request))
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("modifié")
                        .content("application/json", one())
                        .build(),
                )
                .response("400", error("corps illisible (JSON, type d'un champ)"))
                .response("404", error("introuvable ou hors périmètre"))
                .response(
                    "409",
                    error("modification contraire à une règle entre enregistrements"),
                )
                .response("422", error("règle de l'enregistrement non respectée"));
        }
        Kind::Download => {
            op = op
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("le contenu, avec son type de média")
                        .content(
                            "application/octet-stream",
                            json_content(from_json(json!({"type": "string", "contentMediaType": "application/octet-stream"}))),
                        )
                        .build(),
                )
                .response("404", error("introuvable ou hors périmètre"));
        }
    }
    op.response("401", error("jeton absent ou invalide"))
        .response("500", error("erreur interne (détail dans le journal)"))
        .security(SecurityRequirement::new(BEARER, Vec::<String>::new()))
        .build()
}

/// A schema written as JSON; a mistake here shows as an empty schema, and the
/// tests check that none is empty.
fn from_json(value: Value) -> RefOr<Schema> {
    serde_json::from_value(value).unwrap_or_else(|_| RefOr::T(Schema::default()))
}

macro_rules! codes {
    ($t:ty) => {
        <$t>::ALL.iter().map(|c| c.code()).collect::<Vec<_>>()
    };
}

/// A record schema: `(name, json type, required)`; `id` and `organisation_id`
/// are read-only (set by the server, whatever the client sends).
fn record(description: &str, fields: &[(&str, Value, bool)]) -> RefOr<Schema> {
    let mut properties = serde_json::Map::new();
    properties.insert(
        "id".into(),
        json!({"type": "integer", "format": "int64", "readOnly": true}),
    );
    properties.insert(
        "organisation_id".into(),
        json!({"type": "integer", "format": "int64", "readOnly": true,
               "description": "organisme du jeton ; toute autre valeur est ignorée"}),
    );
    let mut required = Vec::new();
    for (name, kind, needed) in fields {
        properties.insert((*name).to_owned(), kind.clone());
        if *needed {
            required.push(*name);
        }
    }
    from_json(json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
    }))
}

fn schemas() -> Vec<(&'static str, RefOr<Schema>)> {
    let id = || json!({"type": "integer", "format": "int64"});
    let opt_id = || json!({"type": ["integer", "null"], "format": "int64"});
    let text = || json!({"type": "string"});
    let opt_text = || json!({"type": ["string", "null"]});
    let date = || json!({"type": "string", "format": "date"});
    let opt_date = || json!({"type": ["string", "null"], "format": "date"});
    let instant = || json!({"type": "string", "format": "date-time"});
    let opt_instant = || json!({"type": ["string", "null"], "format": "date-time"});
    let code = |codes: Vec<&str>| json!({"type": "string", "enum": codes});
    let opt_code = |codes: Vec<&str>| {
        let mut codes: Vec<Value> = codes.into_iter().map(Value::from).collect();
        codes.push(Value::Null);
        json!({"type": ["string", "null"], "enum": codes})
    };
    let texts = || json!({"type": "array", "items": {"type": "string"}});
    let stay_fields = |with_person: bool| {
        let mut fields = vec![
            ("establishment_id", id(), true),
            ("start", date(), true),
            ("end", opt_date(), false),
            ("end_kind", opt_code(codes!(EndKind)), false),
            ("mode", code(codes!(StayMode)), true),
        ];
        if with_person {
            fields.insert(0, ("person_id", id(), true));
        }
        fields
    };
    let person_fields = vec![
        ("birth_family_name", text(), true),
        ("birth_given_names", texts(), true),
        ("used_family_name", opt_text(), false),
        ("used_given_name", opt_text(), false),
        ("sex", code(codes!(Sex)), true),
        ("birth_date", date(), true),
        (
            "birth_place_code",
            json!({"type": ["string", "null"], "description": "code INSEE (5 caractères)"}),
            false,
        ),
        (
            "ins",
            json!({"type": ["object", "null"], "required": ["matricule", "oid"], "properties": {
                "matricule": {"type": "string"},
                "oid": {"type": "string", "enum": ["1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"]}
            }}),
            false,
        ),
        ("identity_status", code(codes!(IdentityStatus)), true),
    ];
    let mut creation = person_fields.clone();
    creation.push((
        "admission",
        json!({"oneOf": [{"$ref": "#/components/schemas/Admission"}, {"type": "null"}]}),
        false,
    ));
    let status_change = json!({"type": "object", "required": ["status", "at"], "properties": {
        "status": {"type": "string", "enum": codes!(CarePlanStatus)},
        "at": {"type": "string", "format": "date-time"},
        "by": {"type": ["integer", "null"], "format": "int64"}
    }});
    vec![
        (
            "Error",
            from_json(json!({
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "code stable, p. ex. not_found, invalid, conflict"},
                    "message": {"type": "string", "description": "phrase en français"},
                    "details": {"type": "array", "items": {"type": "object", "properties": {
                        "field": {"type": "string"}, "value": {"type": "string"}, "rule": {"type": "string"}
                    }}},
                    "request_id": {"type": "string", "description": "sur une erreur interne : identifiant à communiquer à l'exploitant"}
                }
            })),
        ),
        (
            "Establishment",
            record(
                "Établissement (ESSMS)",
                &[
                    ("finess", text(), true),
                    ("name", text(), true),
                    ("category", code(codes!(Category)), true),
                    ("sector", code(codes!(Sector)), true),
                    ("time_zone", text(), true),
                ],
            ),
        ),
        ("Person", record("Personne accompagnée", &person_fields)),
        (
            "PersonCreation",
            record("Personne à créer, avec son admission", &creation),
        ),
        (
            "PersonCreated",
            from_json(
                json!({"type": "object", "required": ["person", "admission"], "properties": {
                    "person": {"$ref": "#/components/schemas/Person"},
                    "admission": {"oneOf": [{"$ref": "#/components/schemas/Stay"}, {"type": "null"}]}
                }}),
            ),
        ),
        (
            "Admission",
            record("Séjour d'admission (sans person_id)", &stay_fields(false)),
        ),
        (
            "Stay",
            record("Séjour ou accompagnement", &stay_fields(true)),
        ),
        (
            "Event",
            record(
                "Événement du dossier",
                &[
                    ("person_id", id(), true),
                    ("establishment_id", id(), true),
                    ("kind", code(codes!(EventKind)), true),
                    ("at", instant(), true),
                    ("author_id", opt_id(), false),
                    ("text", text(), true),
                ],
            ),
        ),
        ("CarePlanStatusChange", from_json(status_change.clone())),
        (
            "CarePlan",
            record(
                "Projet personnalisé",
                &[
                    ("person_id", id(), true),
                    ("establishment_id", id(), true),
                    ("stay_id", id(), true),
                    ("title", text(), true),
                    (
                        "objectives",
                        json!({"type": "array", "items": {"type": "object", "required": ["text", "actions"], "properties": {
                            "text": {"type": "string"},
                            "actions": {"type": "array", "items": {"type": "string"}},
                            "evaluation": {"type": ["string", "null"]}
                        }}}),
                        true,
                    ),
                    ("participants", texts(), true),
                    ("person_agreement_on", opt_date(), false),
                    ("structure_agreement_on", opt_date(), false),
                    (
                        "history",
                        json!({"type": "array", "items": status_change,
                        "description": "à la création : au moins le premier statut ; ignoré en modification"}),
                        true,
                    ),
                ],
            ),
        ),
        (
            "Appointment",
            record(
                "Rendez-vous (événement d'agenda)",
                &[
                    ("person_id", id(), true),
                    ("establishment_id", id(), true),
                    ("kind", code(codes!(AppointmentKind)), true),
                    ("title", text(), true),
                    ("starts_at", instant(), true),
                    ("ends_at", instant(), true),
                    ("status", code(codes!(AppointmentStatus)), true),
                    ("reason", opt_text(), false),
                    ("professional_id", opt_id(), false),
                ],
            ),
        ),
        (
            "Document",
            record(
                "Document du dossier",
                &[
                    ("person_id", id(), true),
                    ("establishment_id", id(), true),
                    ("type_code", code(codes!(DocumentType)), true),
                    ("title", text(), true),
                    (
                        "media_type",
                        json!({"type": "string", "description": "par défaut, le type de la partie content"}),
                        false,
                    ),
                    ("sha256", json!({"type": "string", "readOnly": true}), false),
                    (
                        "size",
                        json!({"type": "integer", "format": "int64", "readOnly": true}),
                        false,
                    ),
                    (
                        "added_at",
                        json!({"type": "string", "format": "date-time", "description": "par défaut, l'instant du dépôt"}),
                        false,
                    ),
                    ("added_by", opt_id(), false),
                    ("dmp_status", code(codes!(DmpStatus)), false),
                    ("dmp_status_at", opt_instant(), false),
                    (
                        "dmp_objection",
                        json!({"type": "boolean", "default": false}),
                        false,
                    ),
                ],
            ),
        ),
        (
            "MssMessage",
            record(
                "Message MSSanté",
                &[
                    ("establishment_id", id(), true),
                    ("person_id", opt_id(), false),
                    ("sender_id", opt_id(), false),
                    ("sent_at", instant(), true),
                    ("recipients", texts(), true),
                    ("subject", text(), true),
                    (
                        "document_ids",
                        json!({"type": "array", "items": {"type": "integer", "format": "int64"}}),
                        true,
                    ),
                ],
            ),
        ),
    ]
    .into_iter()
    .chain(indicator_schemas())
    .collect()
}

/// The indicator engine's result objects (`carnet_core::indicators`), as
/// `carnet indicators --format json` prints them.
fn indicator_schemas() -> Vec<(&'static str, RefOr<Schema>)> {
    let count = || json!({"type": "integer", "format": "int64", "minimum": 0});
    let sha = || json!({"type": "string", "pattern": "^[0-9a-f]{64}$"});
    let rate = || json!({"$ref": "#/components/schemas/Rate"});
    let verdict = || json!({"$ref": "#/components/schemas/Verdict"});
    let period = || json!({"$ref": "#/components/schemas/Period"});
    vec![
        (
            "Period",
            from_json(json!({"type": "object", "required": ["from", "to"],
            "description": "période de mesure, jours inclus (jours locaux de chaque établissement)",
            "properties": {
                "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date"}
            }})),
        ),
        (
            "Figures",
            from_json(
                json!({"type": "object", "description": "indicateurs en valeur absolue (SPEC §3)",
                "required": ["records", "open_records", "active_records", "accompanied_persons",
                    "active_with_care_plan", "active_with_appointment", "dmp_fed_persons", "mss_messages"],
                "properties": {
                    "records": count(),
                    "open_records": count(),
                    "active_records": count(),
                    "accompanied_persons": count(),
                    "active_with_care_plan": count(),
                    "active_with_appointment": count(),
                    "dmp_fed_persons": count(),
                    "mss_messages": count(),
                    "e_prescription_imports": {"type": ["integer", "null"], "format": "int64"},
                    "e_parcours_exchanges": {"type": ["integer", "null"], "format": "int64"}
                }}),
            ),
        ),
        (
            "Rate",
            from_json(json!({"type": "object",
            "required": ["numerator", "denominator", "target_percent", "per_mille", "status"],
            "properties": {
                "numerator": count(),
                "denominator": count(),
                "target_percent": {"type": "integer", "minimum": 0, "maximum": 100,
                    "description": "cible du jeu de règles"},
                "per_mille": {"type": ["integer", "null"], "format": "int64",
                    "description": "taux en pour mille arrondi par défaut ; null si le dénominateur est nul"},
                "status": {"type": "string", "enum": ["ATTEINT", "NON_ATTEINT", "NON_CALCULABLE"]}
            }})),
        ),
        (
            "Rates",
            from_json(json!({"type": "object",
            "required": ["active", "care_plan", "appointment", "dmp", "mss"],
            "properties": {
                "active": rate(), "care_plan": rate(), "appointment": rate(),
                "dmp": rate(), "mss": rate()
            }})),
        ),
        (
            "EstablishmentResult",
            from_json(json!({"type": "object",
            "required": ["establishment_id", "finess", "name", "time_zone", "period",
                "rule_set_id", "rule_set_sha256", "figures", "rates", "active_records_sha256"],
            "properties": {
                "establishment_id": {"type": "integer", "format": "int64"},
                "finess": {"type": "string"},
                "name": {"type": "string"},
                "time_zone": {"type": "string"},
                "period": period(),
                "rule_set_id": {"type": "string"},
                "rule_set_sha256": sha(),
                "figures": {"$ref": "#/components/schemas/Figures"},
                "rates": {"$ref": "#/components/schemas/Rates"},
                "active_records_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                    "description": "SHA-256 des numéros des DUI actifs, en ordre numérique croissant, un par ligne"}
            }})),
        ),
        (
            "IndicatorReport",
            from_json(json!({"type": "object",
            "required": ["period", "rule_set_id", "rule_set_sha256", "establishments"],
            "properties": {
                "period": period(),
                "rule_set_id": {"type": "string", "description": "jeu de règles actif de l'organisme"},
                "rule_set_sha256": sha(),
                "establishments": {"type": "array",
                    "items": {"$ref": "#/components/schemas/EstablishmentResult"}}
            }})),
        ),
        (
            "Verdict",
            from_json(
                json!({"type": "object", "required": ["counted", "reason", "label"],
                "properties": {
                    "counted": {"type": "boolean"},
                    "reason": {"type": ["object", "null"], "required": ["code"],
                        "description": "pourquoi le dossier n'est pas compté (code et dates utiles)",
                        "properties": {"code": {"type": "string"}}},
                    "label": {"type": "string", "description": "« compté » ou « non compté : … »"}
                }}),
            ),
        ),
        (
            "RecordExplanation",
            from_json(json!({"type": "object",
            "required": ["person_id", "record", "open", "active", "accompanied",
                "active_with_care_plan", "active_with_appointment", "dmp_fed"],
            "properties": {
                "person_id": {"type": "integer", "format": "int64"},
                "record": verdict(), "open": verdict(), "active": verdict(),
                "accompanied": verdict(), "active_with_care_plan": verdict(),
                "active_with_appointment": verdict(), "dmp_fed": verdict()
            }})),
        ),
        (
            "EstablishmentExplanation",
            from_json(json!({"type": "object",
            "required": ["establishment_id", "finess", "name", "period", "rule_set_id",
                "rule_set_sha256", "records", "mss_messages"],
            "properties": {
                "establishment_id": {"type": "integer", "format": "int64"},
                "finess": {"type": "string"},
                "name": {"type": "string"},
                "period": period(),
                "rule_set_id": {"type": "string"},
                "rule_set_sha256": sha(),
                "records": {"type": "array", "items": {"$ref": "#/components/schemas/RecordExplanation"}},
                "mss_messages": count()
            }})),
        ),
        (
            "Explained",
            from_json(
                json!({"type": "object", "required": ["result", "explanation"],
                "properties": {
                    "result": {"$ref": "#/components/schemas/EstablishmentResult"},
                    "explanation": {"$ref": "#/components/schemas/EstablishmentExplanation"}
                }}),
            ),
        ),
    ]
}
