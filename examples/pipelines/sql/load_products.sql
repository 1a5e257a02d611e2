insert into dim_product (product_id, name, category)
select s.product_id, s.name, s.category
from staging.products s
left join dim_product p on p.product_id = s.product_id
where p.product_id is null;
