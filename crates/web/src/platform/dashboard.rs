//! Dashboards of the platform (issue 5 §6): nation, region and project, month
//! by month, from `carnet_collect::aggregate::summary` — figures, the five
//! rates, the share of establishments meeting each target, the trajectory
//! against the programme (nation), completeness and timeliness — with the
//! SVG chart of `carnet_reports::chart` and the CSV and .xlsx exports of
//! `aggregate::export`. What a caller sees is cut to its scope *before*
//! anything is rendered or exported ([`restrict`]).

use super::access::PlatformPrincipal;
use super::chrome;
use crate::AppState;
use crate::error::ApiError;
use crate::pages::{Chrome, PageError, PageResult, day, paris, render, see_other, when};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use carnet_collect::accounts::Reach;
use carnet_collect::aggregate::{
    self, Aggregate, Level, Month, Options, Scope, Selection, Summary, french_count,
};
use carnet_collect::regions;
use carnet_reports::{ChartMonth, monthly_chart_svg};
use carnet_store::{AuditAction, Outcome};
use serde::Deserialize;

/// What a dashboard is about.
#[derive(Debug, Clone)]
enum Target {
    Nation,
    Region(regions::Region),
    Project(String),
}

impl Target {
    fn title(&self) -> String {
        match self {
            Target::Nation => "Tableau de bord national".to_owned(),
            Target::Region(r) => format!("Tableau de bord de la région {} ({})", r.name, r.code),
            Target::Project(g) => format!("Tableau de bord du projet {g}"),
        }
    }

    fn base(&self) -> String {
        match self {
            Target::Nation => "/plateforme/tableau-de-bord/national".to_owned(),
            Target::Region(r) => format!("/plateforme/tableau-de-bord/regions/{}", r.code),
            Target::Project(g) => {
                format!("/plateforme/tableau-de-bord/projets/{}", path_segment(g))
            }
        }
    }

    fn selection(&self) -> Selection {
        match self {
            Target::Nation => Selection {
                level: Level::Nation,
                region: None,
            },
            Target::Region(r) => Selection {
                level: Level::Region,
                region: Some(r.code.to_owned()),
            },
            Target::Project(_) => Selection {
                level: Level::Project,
                region: None,
            },
        }
    }

    fn keeps_project(&self, summary: &Summary, galis: &str) -> bool {
        match self {
            Target::Nation => true,
            Target::Region(r) => summary
                .project_regions
                .get(galis)
                .is_some_and(|set| set.contains(r.code)),
            Target::Project(g) => g == galis,
        }
    }

    fn keeps(&self, a: &Aggregate) -> bool {
        match (self, &a.scope) {
            (Target::Nation, Scope::Nation) => true,
            (Target::Region(r), Scope::Region(Some(s))) => r.code == s.code,
            (Target::Project(g), Scope::Project(p)) => g == p,
            _ => false,
        }
    }
}

/// A path segment: every byte but letters, digits, `-`, `.` and `_` as `%XX`.
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The summary cut to a dashboard's target: its projects only; the national
/// figures and trajectory only on the national dashboard.
fn restrict(summary: Summary, target: &Target) -> Summary {
    if matches!(target, Target::Nation) {
        return summary;
    }
    let keep = |g: &str| target.keeps_project(&summary, g);
    let projects = summary
        .projects
        .iter()
        .filter(|a| matches!(&a.scope, Scope::Project(g) if keep(g)))
        .cloned()
        .collect();
    let receipts = summary
        .receipts
        .iter()
        .filter(|r| keep(&r.galis))
        .cloned()
        .collect();
    let missing = summary
        .missing
        .iter()
        .filter(|m| keep(&m.galis))
        .cloned()
        .collect();
    let registered = summary
        .registered
        .iter()
        .filter(|g| keep(g))
        .cloned()
        .collect();
    let project_regions = summary
        .project_regions
        .iter()
        .filter(|(g, _)| keep(g))
        .map(|(g, r)| (g.clone(), r.clone()))
        .collect();
    let regions = summary
        .regions
        .iter()
        .filter(|a| target.keeps(a))
        .cloned()
        .collect();
    Summary {
        months: summary.months,
        nation: Vec::new(),
        regions,
        projects,
        trajectory: Vec::new(),
        receipts,
        missing,
        project_regions,
        registered,
    }
}

/// The target of a region path, when the caller may see it.
async fn region_target(
    state: &AppState,
    who: &PlatformPrincipal,
    code: &str,
) -> Result<Target, ApiError> {
    let region = regions::by_code(code).ok_or(ApiError::NotFound)?;
    if !who.account.sees_region(code) {
        who.audit(
            state,
            AuditAction::Read,
            &format!("collecte/region/{code}"),
            Outcome::Refused,
        )
        .await?;
        return Err(ApiError::Forbidden(format!(
            "accès refusé : votre périmètre est {} ; le tableau de bord de la région {} ne vous est pas ouvert",
            who.account.scope_label(),
            region.name
        )));
    }
    Ok(Target::Region(region))
}

async fn project_target(
    state: &AppState,
    who: &PlatformPrincipal,
    galis: String,
) -> Result<Target, ApiError> {
    who.project(state, &galis).await?;
    Ok(Target::Project(galis))
}

/// The months asked for (`?du=AAAA-MM&au=AAAA-MM`); without them, the last
/// [`DEFAULT_MONTHS`] months that have a declaration in force.
#[derive(Debug, Default, Deserialize)]
pub struct Window {
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
}

const DEFAULT_MONTHS: usize = 12;

impl Window {
    fn months(&self) -> Result<(Option<Month>, Option<Month>), ApiError> {
        let parse = |field: &'static str, text: &str| {
            let text = text.trim();
            if text.is_empty() {
                Ok(None)
            } else {
                Month::parse(text)
                    .map(Some)
                    .map_err(|e| ApiError::bad_field(field, e))
            }
        };
        let (from, to) = (parse("du", &self.du)?, parse("au", &self.au)?);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(ApiError::bad_field(
                "au",
                format!("le dernier mois ({t}) précède le premier ({f})"),
            ));
        }
        Ok((from, to))
    }

    /// The query string that keeps the window on links (chart, exports).
    fn query(&self) -> String {
        let pairs: Vec<(&str, &str)> = [("du", self.du.trim()), ("au", self.au.trim())]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        if pairs.is_empty() {
            String::new()
        } else {
            format!(
                "?{}",
                serde_urlencoded::to_string(pairs).unwrap_or_default()
            )
        }
    }
}

/// Keeps the months from `from` on: figures that accumulate (embarked
/// establishments) were computed on the whole history before the cut.
fn from_month(mut summary: Summary, from: Month) -> Summary {
    summary.months.retain(|m| *m >= from);
    summary.nation.retain(|a| a.month >= from);
    summary.regions.retain(|a| a.month >= from);
    summary.projects.retain(|a| a.month >= from);
    summary.trajectory.retain(|p| p.month >= from);
    summary.receipts.retain(|r| r.month >= from);
    summary.missing.retain(|m| m.month >= from);
    summary
}

async fn load(
    state: &AppState,
    target: &Target,
    window: &Window,
) -> Result<(Summary, Options), ApiError> {
    let (from, to) = window.months()?;
    let options = Options {
        from,
        to,
        ..Options::default()
    };
    let mut summary = aggregate::summary(&state.db, &options).await?;
    if from.is_none() && summary.months.len() > DEFAULT_MONTHS {
        let first = summary.months[summary.months.len() - DEFAULT_MONTHS];
        summary = from_month(summary, first);
    }
    Ok((restrict(summary, target), options))
}

pub struct RateCell {
    pub value: String,
    pub class: &'static str,
}

pub struct MonthLine {
    pub month: String,
    pub projects: String,
    pub establishments: String,
    pub actifs: String,
    pub accompanied: String,
    pub rates: Vec<RateCell>,
    pub shares: Vec<String>,
}

pub struct TrajectoryLine {
    pub month: String,
    pub actifs: String,
    pub target: String,
    pub gap: String,
    pub embarked: String,
    pub embarked_target: String,
    pub embarked_gap: String,
}

pub struct CompletenessLine {
    pub month: String,
    pub expected: usize,
    pub declared: usize,
    pub missing: Vec<String>,
    pub late: Vec<String>,
}

#[derive(Template)]
#[template(path = "plateforme/tableau.html")]
struct DashboardPage {
    chrome: Chrome,
    /// `(month, address)` of the region's flash report, on a regional dashboard.
    flash: Option<(String, String)>,
    heading: String,
    base: String,
    /// `?du=…&au=…` of the window shown, for the chart and the exports.
    query: String,
    du: String,
    au: String,
    rate_names: [&'static str; 5],
    months: Vec<MonthLine>,
    trajectory: Vec<TrajectoryLine>,
    completeness: Vec<CompletenessLine>,
}

const RATE_NAMES: [&str; 5] = [
    "Taux de DUI actifs",
    "Taux avec projet personnalisé",
    "Taux avec agenda",
    "Taux d'utilisation du DMP",
    "Taux d'utilisation de la MSSanté",
];

fn signed(n: i64) -> String {
    let text = french_count(n.unsigned_abs());
    if n < 0 {
        format!("−{text}")
    } else {
        format!("+{text}")
    }
}

fn month_lines(summary: &Summary, target: &Target) -> Vec<MonthLine> {
    let aggregates: Vec<&Aggregate> = match target {
        Target::Nation => summary.nation.iter().collect(),
        Target::Region(_) => summary.regions.iter().filter(|a| target.keeps(a)).collect(),
        Target::Project(_) => summary
            .projects
            .iter()
            .filter(|a| target.keeps(a))
            .collect(),
    };
    aggregates
        .into_iter()
        .map(|a| MonthLine {
            month: a.month.label(),
            projects: french_count(a.projects),
            establishments: french_count(a.establishments),
            actifs: french_count(a.actifs),
            accompanied: french_count(a.accompanied),
            rates: a
                .rates
                .all()
                .iter()
                .map(|r| match r {
                    Some(r) => RateCell {
                        value: format!("{} (cible {} %)", r.display(), r.target_percent),
                        class: if r.meets_target() {
                            "atteint"
                        } else {
                            "manque"
                        },
                    },
                    None => RateCell {
                        value: "–".to_owned(),
                        class: "neutre",
                    },
                })
                .collect(),
            shares: a
                .shares
                .all()
                .iter()
                .map(|s| match s.per_mille() {
                    Some(pm) => format!("{},{} % ({} sur {})", pm / 10, pm % 10, s.met, s.of),
                    None => "–".to_owned(),
                })
                .collect(),
        })
        .collect()
}

fn completeness(summary: &Summary) -> Vec<CompletenessLine> {
    let tz = paris();
    summary
        .months
        .iter()
        .rev()
        .map(|&month| CompletenessLine {
            month: month.label(),
            expected: summary.registered.len(),
            declared: summary.receipts.iter().filter(|r| r.month == month).count(),
            missing: summary
                .missing
                .iter()
                .filter(|m| m.month == month)
                .map(|m| match &m.label {
                    Some(l) => format!("{} ({l})", m.galis),
                    None => m.galis.clone(),
                })
                .collect(),
            late: summary
                .receipts
                .iter()
                .filter(|r| r.month == month && r.late)
                .map(|r| {
                    format!(
                        "{} : reçue le {}, échéance le {}",
                        r.galis,
                        when(r.first_received, &tz),
                        day(r.deadline)
                    )
                })
                .collect(),
        })
        .collect()
}

async fn page(
    state: &AppState,
    who: &PlatformPrincipal,
    target: Target,
    window: Window,
) -> PageResult {
    let (summary, _) = load(state, &target, &window).await?;
    let trajectory = summary
        .trajectory
        .iter()
        .map(|p| TrajectoryLine {
            month: p.month.label(),
            actifs: french_count(p.actifs),
            target: french_count(p.actifs_target),
            gap: signed(p.actifs_gap),
            embarked: french_count(p.embarked),
            embarked_target: p.embarked_target.map(french_count).unwrap_or_default(),
            embarked_gap: p.embarked_gap.map(signed).unwrap_or_default(),
        })
        .collect();
    // A region's flash report of the last month shown.
    let flash = match &target {
        Target::Region(r) => summary
            .months
            .last()
            .map(|&m| (m.label(), super::flash::link(r.code, m))),
        _ => None,
    };
    let page = DashboardPage {
        chrome: chrome(who, target.title(), "/plateforme/tableau-de-bord"),
        flash,
        heading: target.title(),
        base: target.base(),
        query: window.query(),
        du: summary
            .months
            .first()
            .map(ToString::to_string)
            .unwrap_or_default(),
        au: summary
            .months
            .last()
            .map(ToString::to_string)
            .unwrap_or_default(),
        rate_names: RATE_NAMES,
        months: month_lines(&summary, &target),
        trajectory,
        completeness: completeness(&summary),
    };
    Ok(render(&page))
}

/// `graphique.svg`, `indicateurs.csv` or `indicateurs.xlsx` of a dashboard.
async fn file(
    state: &AppState,
    who: &PlatformPrincipal,
    target: Target,
    name: &str,
    window: Window,
) -> Result<Response, PageError> {
    let (summary, options) = load(state, &target, &window).await?;
    let (content_type, body, attachment): (&'static str, Vec<u8>, bool) = match name {
        "graphique.svg" => {
            let months: Vec<ChartMonth> = month_lines_raw(&summary, &target)
                .into_iter()
                .map(|a| ChartMonth {
                    label: a.month.label(),
                    active_records: a.actifs,
                    rates_per_mille: a.rates.all().map(|r| r.and_then(|r| r.per_mille)),
                })
                .collect();
            let t = &options.targets;
            let svg = monthly_chart_svg(
                &target.title(),
                &months,
                [t.active, t.care_plan, t.appointment, t.dmp, t.mss],
            );
            ("image/svg+xml", svg.into_bytes(), false)
        }
        "indicateurs.csv" => (
            "text/csv; charset=utf-8",
            aggregate::to_csv(&summary, &target.selection()),
            true,
        ),
        "indicateurs.xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            aggregate::to_xlsx(&summary, &target.selection())
                .map_err(|e| ApiError::Internal(format!("export .xlsx : {e}")))?,
            true,
        ),
        _ => return Err(ApiError::NotFound.into()),
    };
    if attachment {
        who.audit(
            state,
            AuditAction::Export,
            &format!("{}/{name}", target.base()),
            Outcome::Ok,
        )
        .await?;
    }
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if attachment {
        let extension = name.rsplit('.').next().unwrap_or("csv");
        if let Ok(value) =
            HeaderValue::from_str(&format!("attachment; filename=\"indicateurs.{extension}\""))
        {
            headers.insert(CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

fn month_lines_raw<'a>(summary: &'a Summary, target: &Target) -> Vec<&'a Aggregate> {
    match target {
        Target::Nation => summary.nation.iter().collect(),
        _ => summary
            .regions
            .iter()
            .chain(&summary.projects)
            .filter(|a| target.keeps(a))
            .collect(),
    }
}

/// `/plateforme/tableau-de-bord`: the caller's own dashboard.
pub async fn mine(who: PlatformPrincipal) -> Response {
    match &who.account.reach {
        Reach::Region(r) => see_other(&format!("/plateforme/tableau-de-bord/regions/{}", r.code)),
        _ => see_other("/plateforme/tableau-de-bord/national"),
    }
}

/// The window of a request; a query that cannot be read is a French 400.
type WindowQuery = Result<Query<Window>, QueryRejection>;

fn window(query: WindowQuery) -> Result<Window, ApiError> {
    query
        .map(|Query(w)| w)
        .map_err(|_| ApiError::bad_request("invalid_query", "paramètres du ou au illisibles"))
}

pub async fn nation(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    query: WindowQuery,
) -> PageResult {
    page(&state, &who, Target::Nation, window(query)?).await
}

pub async fn nation_file(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    Path(name): Path<String>,
    query: WindowQuery,
) -> PageResult {
    file(&state, &who, Target::Nation, &name, window(query)?).await
}

pub async fn region(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    Path(code): Path<String>,
    query: WindowQuery,
) -> PageResult {
    let target = region_target(&state, &who, &code).await?;
    page(&state, &who, target, window(query)?).await
}

pub async fn region_file(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    Path((code, name)): Path<(String, String)>,
    query: WindowQuery,
) -> PageResult {
    let target = region_target(&state, &who, &code).await?;
    file(&state, &who, target, &name, window(query)?).await
}

pub async fn project(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    Path(galis): Path<String>,
    query: WindowQuery,
) -> PageResult {
    let target = project_target(&state, &who, galis).await?;
    page(&state, &who, target, window(query)?).await
}

pub async fn project_file(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    Path((galis, name)): Path<(String, String)>,
    query: WindowQuery,
) -> PageResult {
    let target = project_target(&state, &who, galis).await?;
    file(&state, &who, target, &name, window(query)?).await
}
