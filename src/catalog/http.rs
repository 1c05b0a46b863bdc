use super::model::{
    NewProduct, NewStockMovement, ProductQuery, ProductUpdate, ProductView, StockMovementView,
};
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::web::{Json, Page, PageParams};
use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpResponse};

/// Create a product (admin, director, manager). Its stock starts at zero.
#[utoipa::path(
    tag = "catalog",
    operation_id = "create_product",
    request_body = NewProduct,
    responses(
        (status = 201, description = "The product was created", body = ProductView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, director or manager", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The SKU is taken (`sku_taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/products")]
pub async fn create_product(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<NewProduct>,
) -> Result<HttpResponse, ApiError> {
    let product = service::create_product(&state.pool, &who, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/products/{}", product.id)))
        .json(product))
}

/// List products by id. Client principals see active products only, without cost price and
/// stock detail, and with `price`: their own price after their tier discount.
#[utoipa::path(
    tag = "catalog",
    operation_id = "list_products",
    params(ProductQuery, PageParams),
    responses(
        (status = 200, description = "A page of products", body = Page<ProductView>),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter or page parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<ProductQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = service::list_products(&state, &who, q.into_inner(), page.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Get a product. Inactive products are not found for client principals; they see `price`,
/// their own price after their tier discount, instead of the cost price.
#[utoipa::path(
    tag = "catalog",
    operation_id = "get_product",
    params(("product_id", description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductView),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/products/{product_id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    who: Principal,
    product_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let product = service::get_product(&state, &who, product_id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(product))
}

/// Change a product (admin, director, manager). Absent fields stay unchanged; the SKU cannot
/// be changed.
#[utoipa::path(
    tag = "catalog",
    operation_id = "update_product",
    params(("product_id", description = "Product id")),
    request_body = ProductUpdate,
    responses(
        (status = 200, description = "The updated product", body = ProductView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, director or manager", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/products/{product_id}")]
pub async fn update_product(
    state: web::Data<AppState>,
    who: Principal,
    product_id: web::Path<String>,
    body: Json<ProductUpdate>,
) -> Result<HttpResponse, ApiError> {
    let product =
        service::update_product(&state.pool, &who, product_id.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(product))
}

/// Record a stock movement (admin, logistician, manager): a receipt adds `quantity`, a
/// write-off subtracts it, a correction applies it as a signed change. On hand never drops
/// below zero or below the reserved quantity.
#[utoipa::path(
    tag = "catalog",
    operation_id = "create_stock_movement",
    params(("product_id", description = "Product id")),
    request_body = NewStockMovement,
    responses(
        (status = 201, description = "The movement was recorded", body = StockMovementView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, logistician or manager", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not enough unreserved stock (`insufficient_stock`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/products/{product_id}/stock-movements")]
pub async fn create_stock_movement(
    state: web::Data<AppState>,
    who: Principal,
    product_id: web::Path<String>,
    body: Json<NewStockMovement>,
) -> Result<HttpResponse, ApiError> {
    let movement =
        service::create_stock_movement(&state.pool, &who, product_id.into_inner(), body.0).await?;
    Ok(HttpResponse::Created().json(movement))
}

/// List the stock movements of a product, oldest first (staff).
#[utoipa::path(
    tag = "catalog",
    operation_id = "list_stock_movements",
    params(("product_id", description = "Product id"), PageParams),
    responses(
        (status = 200, description = "A page of stock movements", body = Page<StockMovementView>),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid page parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/products/{product_id}/stock-movements")]
pub async fn list_stock_movements(
    state: web::Data<AppState>,
    who: Principal,
    product_id: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = service::list_stock_movements(
        &state.pool,
        &who,
        product_id.into_inner(),
        page.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_product)
        .service(list_products)
        .service(get_product)
        .service(update_product)
        .service(create_stock_movement)
        .service(list_stock_movements);
}
