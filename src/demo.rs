//! Demo data for trying the API: price tiers, ~200 products with stock and costs, staff users,
//! client companies with users and one ERP API key. Idempotent: a second run changes nothing.

use crate::auth::model::{Principal, Role};
use crate::catalog;
use crate::clients;
use crate::db::{self, Pool};
use crate::error::ApiError;
use crate::money::Money;
use crate::pricing::store::{self as tiers, TierRow};
use crate::users;

pub const ADMIN_EMAIL: &str = "admin@diaspar.local";
pub const DEMO_PASSWORD: &str = "demo-password-1";

/// Appends the check digit to a 9-digit base, giving a valid 10-digit INN.
pub fn inn10(base: &str) -> String {
    let w = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    let sum: u32 = base
        .bytes()
        .zip(w)
        .map(|(b, w)| (b - b'0') as u32 * w)
        .sum();
    format!("{base}{}", sum % 11 % 10)
}

const CATEGORIES: &[(&str, &[&str])] = &[
    (
        "Бумага",
        &[
            "Бумага офисная А4",
            "Бумага офисная А3",
            "Бумага для заметок",
            "Бумага крафт",
            "Картон цветной",
        ],
    ),
    (
        "Канцелярия",
        &[
            "Ручка шариковая",
            "Карандаш чернографитный",
            "Маркер текстовыделитель",
            "Степлер",
            "Скрепки",
        ],
    ),
    (
        "Хозтовары",
        &[
            "Перчатки нитриловые",
            "Мешки для мусора",
            "Салфетки бумажные",
            "Моющее средство",
            "Губки",
        ],
    ),
    (
        "Электрика",
        &[
            "Кабель ВВГнг 3х2.5",
            "Розетка накладная",
            "Выключатель",
            "Лампа светодиодная",
            "Удлинитель",
        ],
    ),
    (
        "Инструмент",
        &[
            "Отвертка крестовая",
            "Молоток слесарный",
            "Рулетка 5 м",
            "Набор бит",
            "Нож строительный",
        ],
    ),
];

const VARIANTS: &[&str] = &[
    "эконом",
    "стандарт",
    "премиум",
    "упаковка 10 шт",
    "упаковка 50 шт",
    "серый",
    "синий",
    "красный",
];

pub async fn seed(pool: &Pool) -> Result<String, ApiError> {
    let system = Principal::system();
    let already = {
        let inn = inn10("770100001");
        db::run(pool, move |c| Ok(clients::store::inn_taken(c, &inn)?)).await?
    };
    if already {
        return Ok(summary("the demo data is already loaded"));
    }

    db::run(pool, |c| {
        db::write_tx(c, |c| {
            if tiers::count(c)? == 0 {
                for (name, turnover, bp) in [
                    ("Base", 0, 0),
                    ("Silver", 500_000 * 100, 300),
                    ("Gold", 3_000_000 * 100, 700),
                ] {
                    let now = db::now();
                    tiers::insert(
                        c,
                        &TierRow {
                            id: db::new_id(),
                            name: name.into(),
                            min_turnover_minor: turnover,
                            discount_bp: bp,
                            created_at: now,
                            updated_at: now,
                        },
                    )?;
                }
            }
            Ok::<_, ApiError>(())
        })
    })
    .await?;

    let staff = [
        ("manager@diaspar.local", "Мария Менеджерова", Role::Manager),
        (
            "director@diaspar.local",
            "Дмитрий Директоров",
            Role::Director,
        ),
        (
            "accountant@diaspar.local",
            "Анна Бухгалтерова",
            Role::Accountant,
        ),
        (
            "logistics@diaspar.local",
            "Леонид Логистов",
            Role::Logistician,
        ),
    ];
    let mut manager_id = None;
    for (email, name, role) in staff {
        let u = users::service::create_staff_user(
            pool,
            system.clone(),
            users::model::CreateUser {
                email: email.into(),
                full_name: name.into(),
                role,
                password: DEMO_PASSWORD.into(),
            },
        )
        .await?;
        if role == Role::Manager {
            manager_id = Some(u.id);
        }
    }

    let mut n = 0u64;
    for (category, names) in CATEGORIES {
        for (i, name) in names.iter().enumerate() {
            for (j, variant) in VARIANTS.iter().enumerate() {
                n += 1;
                // Deterministic spread of prices 15–5000 roubles with a 15–40% margin.
                let list_minor =
                    1_500 + ((n * 7919 + i as u64 * 131 + j as u64 * 17) % 500_000) as i64;
                let margin_bp = 1_500 + ((n * 31) % 2_500) as i64;
                let cost_minor = list_minor * (10_000 - margin_bp) / 10_000;
                let p = catalog::service::create_product(
                    pool,
                    &system,
                    catalog::model::NewProduct {
                        sku: format!("DEMO-{n:04}"),
                        name: format!("{name}, {variant}"),
                        unit: if *category == "Электрика" && i == 0 {
                            "м".into()
                        } else {
                            "шт".into()
                        },
                        list_price: Money::from_minor(list_minor),
                        cost_price: Money::from_minor(cost_minor),
                        vat_rate_bp: 2200,
                        category: Some(category.to_string()),
                        active: true,
                    },
                )
                .await?;
                catalog::service::create_stock_movement(
                    pool,
                    &system,
                    p.id.clone(),
                    catalog::model::NewStockMovement {
                        kind: catalog::model::StockMovementKind::Receipt,
                        quantity: 20 + (n % 9) as i64 * 25,
                        reason: "Initial stock (demo)".into(),
                    },
                )
                .await?;
            }
        }
    }

    let companies = [
        (
            "ООО «Ромашка»",
            "770100001",
            500_000 * 100i64,
            14,
            "romashka",
        ),
        (
            "АО «Северный завод»",
            "780200002",
            2_000_000 * 100,
            30,
            "sever",
        ),
        ("ООО «Техснаб»", "500300003", 0, 0, "tehsnab"),
        ("ООО «Вектор»", "660400004", 100_000 * 100, 7, "vector"),
    ];
    let mut api_key = None;
    for (idx, (name, base, credit, terms, slug)) in companies.into_iter().enumerate() {
        let inn = inn10(base);
        let client = clients::service::create(
            pool,
            system.clone(),
            clients::model::CreateClient {
                name: name.into(),
                kpp: Some(format!("{}01001", &inn[..4])),
                inn,
                legal_address: "г. Санкт-Петербург, Невский пр., д. 1".into(),
                delivery_address: Some("г. Санкт-Петербург, ул. Складская, д. 5".into()),
                email: format!("docs@{slug}.example"),
                phone: Some("+7 812 000-00-00".into()),
                credit_limit: Some(Money::from_minor(credit)),
                payment_terms_days: Some(terms),
                status: None,
                manager_id: manager_id.clone(),
            },
        )
        .await?;
        for (who, role) in [
            ("admin", Role::ClientAdmin),
            ("buyer", Role::ClientBuyer),
            ("accountant", Role::ClientAccountant),
        ] {
            users::service::create_client_user(
                pool,
                system.clone(),
                client.id.clone(),
                users::model::CreateUser {
                    email: format!("{who}@{slug}.example"),
                    full_name: format!("{who} {slug}"),
                    role,
                    password: DEMO_PASSWORD.into(),
                },
            )
            .await?;
        }
        if idx == 0 {
            let key = users::service::create_api_key(
                pool,
                system.clone(),
                client.id.clone(),
                users::model::CreateApiKey {
                    name: "1C:ERP (demo)".into(),
                    role: Some(Role::ClientBuyer),
                },
            )
            .await?;
            api_key = Some((key.key.id, key.client_secret));
        }
    }
    // The director's margin terms: 10 % on a deal, 12 % on electrics; 3 % off the tier price
    // is accepted at once while every floor keeps 2 % of room; orders over 1,000,000.00 or 5×
    // the client's average are flagged to its manager.
    let mut margins = crate::bargaining::model::MarginPolicy {
        deal_floor_bp: 1000,
        auto_accept: Some(crate::bargaining::model::AutoAcceptRule {
            max_discount_bp: 300,
            min_headroom_bp: 200,
        }),
        ..Default::default()
    };
    margins.category_floors.insert("Электрика".into(), 1200);
    margins.attention.order_total_above = Some(Money::from_minor(1_000_000 * 100));
    margins.attention.average_multiple_bp = Some(50_000);
    crate::bargaining::service::put_policy(
        pool,
        Principal {
            role: Role::Director,
            ..system.clone()
        },
        margins,
    )
    .await?;
    let mut out = summary(&format!(
        "loaded {n} products, 4 companies, 4 staff users, 3 price tiers, a margin policy"
    ));
    if let Some((id, secret)) = api_key {
        out.push_str(&format!(
            "\nERP API key of ООО «Ромашка» (shown once):\n  POST /api/v1/auth/token {{\"grant_type\":\"client_credentials\",\"client_id\":\"{id}\",\"client_secret\":\"{secret}\"}}"
        ));
    }
    Ok(out)
}

fn summary(head: &str) -> String {
    format!(
        "demo: {head}\nLog in with POST /api/v1/auth/token {{\"grant_type\":\"password\",\"username\":\"...\",\"password\":\"{DEMO_PASSWORD}\"}}\n  staff: manager@diaspar.local, director@diaspar.local, accountant@diaspar.local, logistics@diaspar.local\n  clients: admin@romashka.example (client_admin), buyer@romashka.example, accountant@romashka.example (also sever, tehsnab, vector)"
    )
}
