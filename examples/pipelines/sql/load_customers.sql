merge into dim_customer
using staging.customers s
on dim_customer.customer_id = s.customer_id
when matched then update set name = s.name, segment = s.segment, updated_at = getdate()
when not matched then insert (customer_id, name, segment, updated_at)
  values (s.customer_id, s.name, s.segment, getdate());
