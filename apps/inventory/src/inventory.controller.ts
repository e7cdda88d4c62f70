import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import type { Product, Reservation } from '@traceshop/contracts';
import type { Response } from 'express';
import { InventoryService } from './inventory.service';
import { ReservationDto } from './reservation.dto';

/** Internal API of inventory: the gateway reads the catalogue and reserves stock, cart reads prices. */
@Controller()
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @Get('products')
  products(): Promise<Product[]> {
    return this.inventory.products();
  }

  @Get('products/:sku')
  product(@Param('sku') sku: string): Promise<Product> {
    return this.inventory.product(sku);
  }

  /** 201 when the stock was reserved now; 200 when this order already had a reservation (a retry). */
  @Post('reservations')
  async reserve(@Body() body: ReservationDto, @Res({ passthrough: true }) res: Response): Promise<Reservation> {
    const { reservation, created } = await this.inventory.reserve(body);
    res.status(created ? 201 : 200);
    return reservation;
  }
}
